#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The kernel emits standard TLS records: a download over MPTCP with both ends
# offloaded to mptls.ko is captured with dumpcap, and tshark, given only the
# tool's --keylog file, decrypts it and finds the plaintext marker the server
# sent.  Without the key log the marker is nowhere in the capture.  One
# subflow on loopback, so Wireshark can follow the TLS stream.  TLS 1.2 and
# 1.3.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bin=$top/build/bin/mptls
work=$(mktemp -d /tmp/mptls-keylog.XXXXXX)
marker=mptls-keylog-marker-7d3f
cap_pid=
cleanup() {
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# capture_download TLS: one kernel-offloaded download, captured on lo.
capture_download() {
	local tls=$1 port=$((11000 + RANDOM % 1000))
	rm -f "$work/cap.pcapng" "$work/keys"
	dumpcap -q -i lo -f "tcp port $port" -w "$work/cap.pcapng" 2>"$work/dumpcap.err" &
	cap_pid=$!
	# "Capturing on" comes once the filter is set.  The first dumpcap of a
	# guest took 8.1 s to get there (2.2 s the next time; idle host, 6.1)
	# and the old 5 s wait let the handshake go by uncaptured: tshark had no
	# client random to decrypt with (CI, TLS 1.2, the first run).  The lab
	# waits the same way.
	wait_until 90 grep -q "Capturing on" "$work/dumpcap.err" ||
		{ echo "dumpcap did not start in 90 s:"; cat "$work/dumpcap.err"; return 1; }
	"$bin" server --listen "127.0.0.1:$port" --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
		--tls "$tls" --offload kernel --marker "$marker" --count 1 > "$work/server.out" 2>&1 &
	local server=$!
	wait_port "$port" || { echo "the server did not listen:"; cat "$work/server.out"; return 1; }
	"$bin" client --connect "127.0.0.1:$port" --ca "$work/pki/ca.pem" --servername localhost \
		--tls "$tls" --offload kernel --bytes 64k --direction down --keylog "$work/keys" --json \
		> "$work/client.json" || return 1
	wait "$server"
	sleep 0.5
	kill "$cap_pid"
	wait "$cap_pid" 2>/dev/null
	cap_pid=
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$work/client.json" &&
	grep -q '"mptcp_socket":true' "$work/client.json"
}

decrypts_to_marker() {
	tshark -r "$work/cap.pcapng" -o "tls.keylog_file:$work/keys" -q -z follow,tls,ascii,0 2>/dev/null |
		grep -q "$marker" && return 0
	# what was captured, for the failure report
	echo "no marker; the capture holds:"
	tshark -r "$work/cap.pcapng" -o "tls.keylog_file:$work/keys" 2>/dev/null | head -n 12
	echo "key log lines: $(grep -c . "$work/keys")"
	return 1
}

marker_not_in_clear() {
	! tshark -r "$work/cap.pcapng" -x | tr -d '\n' | grep -q "$marker" &&
	! grep -aq "$marker" "$work/cap.pcapng"
}

tap_check "load mptls.ko" load_mptls
tap_check "a CA" "$bin" gen-ca "$work/pki"
for tls in 1.2 1.3; do
	tap_check "TLS $tls: kernel-offloaded MPTCP download captured" capture_download "$tls"
	tap_check "TLS $tls: tshark decrypts it with the key log and finds the marker" decrypts_to_marker
	tap_check "TLS $tls: the marker is nowhere in the raw capture" marker_not_in_clear
done
tap_done
