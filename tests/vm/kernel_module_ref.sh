#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A kTLS MPTCP socket pins mptls.ko: rmmod is refused while one is open (the
# sockets keep working), and succeeds once they are closed
# (tests/kernel/tool_hold_tls.c).
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"

kt_build || { tap_done; exit 1; }
load_mptls
work=$(mktemp -d)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/in"
timeout 120 "$kt_bin/tool_hold_tls" < "$work/in" > "$work/out" 2>&1 &
holder=$!
exec 3> "$work/in"

wait_for() {	# wait_for WORD: the holder printed WORD (10 s at most)
	local i
	for i in $(seq 100); do
		grep -q "^$1\$" "$work/out" && return 0
		kill -0 "$holder" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/out"
	return 1
}

rmmod_refused() {
	! rmmod mptls 2>/dev/null && module_loaded
}

refcnt_at_least() {
	local n
	n=$(cat /sys/module/mptls/refcnt)
	echo "refcnt $n"
	[ "$n" -ge "$1" ]
}

talk() {
	echo talk >&3
	wait_for talked
}

tap_check "holder opened TLS MPTCP sockets" wait_for ready
tap_check "each socket with the ULP holds a module reference" refcnt_at_least 3
tap_check "rmmod mptls is refused while they are open" rmmod_refused
tap_check "the sockets still move data after the refused rmmod" talk
exec 3>&-
wait "$holder"	# not inside tap_check: a subshell cannot wait for our child
holder_rc=$?
holder=
tap_check "the holder closed its sockets cleanly" test "$holder_rc" -eq 0
tap_check "the references are gone" sh -c '[ "$(cat /sys/module/mptls/refcnt)" -eq 0 ]'
tap_check "rmmod mptls works after close" rmmod mptls
tap_done
