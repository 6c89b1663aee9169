#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mptls.ko loads and unloads cleanly, repeatedly, on the stock kernel.
. "$(dirname "$0")/lib.sh"

load_unload_cycles() {
	local i
	for i in 1 2 3; do
		insmod "$MPTLS_KO" || return 1
		[ -d /sys/module/mptls ] || return 1
		rmmod mptls || return 1
		[ ! -d /sys/module/mptls ] || return 1
	done
}

tap_check "mptls.ko exists for $(uname -r)" test -f "$MPTLS_KO"
tap_check "load and unload three times" load_unload_cycles
tap_check "the module is built for this kernel" \
	sh -c "modinfo -F vermagic '$MPTLS_KO' | grep -q '^$(uname -r) '"
tap_done
