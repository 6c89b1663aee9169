#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Called by tool_bulk (in the client namespace) at 1/4, 1/2 and 3/4 of a
# transfer: takes the second path's subflow away and brings it back, so that
# subflows come and go while records are in flight.
#   1  endpoint id 2 is deleted: the subflow on path 2 closes
#   2  it is added back: a new subflow joins
#   3  all endpoints are flushed and id 2 added back at once: another joins
# (two_paths.sh: the client's "subflow" endpoint, or with KT_PATH2=signal the
# server's announced address.)  Each phase waits for the subflow to go or
# come back (up to 10 s) and notes in $KT_HOOK_LOG whether it did, without
# failing: the transfer must go on either way, and kernel_multipath.sh
# counts the joins.
set -u
. "$(dirname "$0")/../vm/lib.sh"
. "$(dirname "$0")/two_paths.sh"
kt_ns_c=$KT_NS_C kt_ns_s=$KT_NS_S	# two_paths.sh names them after our pid
case "$1" in
1) second_path_del; want=down ;;
2) second_path_add; want=up ;;
3) second_path_flush; second_path_add; want=up ;;
*) echo "subflow_hook: unknown phase $1" >&2; exit 2 ;;
esac
# The sender waits for us, so the wait is generous: a join that takes
# longer than the rest of a short transfer (make check's 32 MiB) would
# otherwise miss the count on a loaded host.
if subflow_on_path2 "$want" 10 2>/dev/null; then
	echo "phase $1: path 2 subflow $want" >> "${KT_HOOK_LOG:-/dev/null}"
else
	echo "phase $1: path 2 subflow NOT $want after 10s" >> "${KT_HOOK_LOG:-/dev/null}"
fi
exit 0
