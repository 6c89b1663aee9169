#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unload and reload under use: in each cycle mptls.ko is loaded, a
# TLS-over-MPTCP pair moves data (tests/security/hold.py), rmmod is refused
# while it is open, and succeeds once it is closed.  MPTLS_RELOAD_CYCLES
# (default 20; QUICK=1: 8).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
cycles=${MPTLS_RELOAD_CYCLES:-$([ -n "${QUICK:-}" ] && echo 8 || echo 20)}
work=$(mktemp -d /tmp/secreload.XXXXXX)
trap 'rm -rf "$work"' EXIT

# cycle I: one load, use, refused unload, close, unload.
cycle() {
	local i=$1 pid tries
	load_mptls || { echo "insmod failed"; return 1; }
	rm -f "$work/stop" "$work/out"
	"$py" "$top/tests/security/hold.py" 262144 "$work/stop" > "$work/out" 2>&1 &
	pid=$!
	tries=300
	until grep -q ready "$work/out" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || { cat "$work/out"; return 1; }
		tries=$((tries - 1)); [ $tries -gt 0 ] || { echo "no transfer"; return 1; }
		sleep 0.1
	done
	if rmmod mptls 2>"$work/rmmod"; then
		echo "cycle $i: rmmod succeeded with a TLS socket open"
		touch "$work/stop"; wait $pid
		return 1
	fi
	grep -q "in use" "$work/rmmod" || { echo "cycle $i: rmmod said: $(cat "$work/rmmod")"; return 1; }
	module_loaded || { echo "cycle $i: module gone after a refused rmmod"; return 1; }
	touch "$work/stop"
	wait $pid || { echo "cycle $i: the pair failed: $(cat "$work/out")"; return 1; }
	tries=100
	until [ "$(cat /sys/module/mptls/refcnt)" = 0 ]; do
		tries=$((tries - 1)); [ $tries -gt 0 ] || { echo "cycle $i: refcnt stuck at $(cat /sys/module/mptls/refcnt)"; return 1; }
		sleep 0.1
	done
	rmmod mptls || { echo "cycle $i: rmmod failed after close"; return 1; }
	! module_loaded || { echo "cycle $i: still loaded"; return 1; }
}

all_cycles() {
	local i
	unload_mptls || return 1
	for i in $(seq 1 "$cycles"); do
		cycle "$i" || return 1
	done
	# MPTCP is stock again: TCP_ULP "tls" on an MPTCP socket is refused
	"$py" -c '
import socket, errno
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
try:
    s.setsockopt(socket.SOL_TCP, 31, b"tls")
except OSError as e:
    raise SystemExit(0 if e.errno in (errno.ENOPROTOOPT, errno.EOPNOTSUPP) else "errno %d" % e.errno)
raise SystemExit("TCP_ULP accepted without the module")'
}
tap_check "unload/reload: $cycles cycles of load, TLS traffic, refused rmmod while open, rmmod after close" all_cycles
tap_done
