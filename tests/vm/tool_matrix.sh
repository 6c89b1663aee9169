#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The mptls tool end to end inside the VM: client and server over loopback
# for every TLS version x cipher x offload x transport, each transfer in both
# directions with --check-data (SHA-256 of the stream checked on both ends), plus
# sendfile, HTTP keep-alive and the "module not loaded" sentence. Prints TAP.
#
# Knobs (all optional):
#   MPTLS_OFFLOADS="kernel user"   MPTLS_OFFLOADS=user runs it on a host
#                                  without kernel TLS
#   MPTLS_TRANSPORTS="mptcp tcp"   MPTLS_VERSIONS="1.2 1.3"
#   MPTLS_CIPHERS="aes128gcm aes256gcm chacha20"
#   MPTLS_BYTES=2M                 per transfer (the VM emulates the CPU: keep it small)
#   MPTLS_BIN=build/bin/mptls
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bin=${MPTLS_BIN:-$top/build/bin/mptls}
offloads=${MPTLS_OFFLOADS:-kernel user}
transports=${MPTLS_TRANSPORTS:-mptcp tcp}
versions=${MPTLS_VERSIONS:-1.2 1.3}
ciphers=${MPTLS_CIPHERS:-aes128gcm aes256gcm chacha20}
bytes=${MPTLS_BYTES:-2M}
work=$(mktemp -d /tmp/mptls-tool-matrix.XXXXXX)
server_pid=

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# start_server ARGS...: a server on a free loopback port; sets $addr.
start_server() {
	rm -f "$work/ready" "$work"/*.out "$work"/*.err
	timeout 120 "$bin" server --listen 127.0.0.1:0 --ready-file "$work/ready" \
		--cert "$work/pki/server.pem" --key "$work/pki/server.key" --json "$@" \
		>"$work/server.out" 2>"$work/server.err" &
	server_pid=$!
	local i
	for i in $(seq 200); do
		[ -s "$work/ready" ] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	addr=$(cat "$work/ready" 2>/dev/null)
	[ -n "$addr" ]
}

# stop_server: waits for the server to exit; fails if it failed.
stop_server() {
	local rc=0
	wait "$server_pid" || rc=$?
	server_pid=
	# the status is the one clue when the server's logs look clean
	[ "$rc" -eq 0 ] || echo "== the server exited with status $rc"
	return $rc
}

client() {
	timeout 60 "$bin" client --connect "$addr" --servername localhost \
		--ca "$work/pki/ca.pem" --json "$@"
}

# show_logs: stops a server still waiting for connections, prints the
# logs of this test and fails.
show_logs() {
	local f
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
	for f in "$work"/*.out "$work"/*.err; do
		[ -s "$f" ] && { echo "== $(basename "$f")"; tail -n 20 "$f"; }
	done
	return 1
}

# expect_json FILE KEY VALUE...: every "KEY":VALUE pair occurs in FILE.
expect_json() {
	local file=$1
	shift
	while [ $# -ge 2 ]; do
		grep -qF "\"$1\":$2" "$file" || { echo "$file lacks \"$1\":$2"; return 1; }
		shift 2
	done
}

# One matrix cell: an upload and a download, both verified.
transfer_both_ways() {
	local version=$1 cipher=$2 offload=$3 transport=$4
	local opts=(--tls "$version" --cipher "$cipher" --offload "$offload" --transport "$transport")
	local want_version=TLSv$version
	start_server --count 2 "${opts[@]}" || show_logs || return 1
	client "${opts[@]}" --bytes "$bytes" --check-data >"$work/up.out" 2>"$work/up.err" &&
		client "${opts[@]}" --bytes "$bytes" --direction down --check-data \
			>"$work/down.out" 2>"$work/down.err" &&
		stop_server || { show_logs; return 1; }
	local f
	for f in up.out down.out server.out; do
		expect_json "$work/$f" verify '"ok"' tls_version "\"$want_version\"" \
			offload "{\"tx\":\"$offload\",\"rx\":\"$offload\"}" || { show_logs; return 1; }
	done
	if [ "$transport" = mptcp ]; then
		expect_json "$work/up.out" mptcp_socket true || { show_logs; return 1; }
	fi
}

sendfile_and_http() {
	local offload=$1 transport=$2
	local opts=(--offload "$offload" --transport "$transport")
	mkdir -p "$work/www"
	head -c 5000000 /dev/urandom >"$work/www/big.bin"
	echo "<h1>mptls</h1>" >"$work/www/index.html"
	start_server --count 2 --http-root "$work/www" --send-file "$work/www/big.bin" "${opts[@]}" ||
		show_logs || return 1
	client "${opts[@]}" --bytes 0 --direction down --check-data >"$work/file.out" 2>"$work/file.err" &&
		client "${opts[@]}" --get /,/big.bin,/missing --check-data >"$work/http.out" 2>"$work/http.err" &&
		stop_server || { show_logs; return 1; }
	local sum
	sum=$(sha256sum "$work/www/big.bin" | cut -d' ' -f1)
	expect_json "$work/file.out" verify '"ok"' bytes_received 5000000 &&
		expect_json "$work/http.out" sha256 "\"$sum\"" &&
		grep -qF '"path":"/missing","status":404' "$work/http.out" || { show_logs; return 1; }
}

# Without the module, kernel offload on MPTCP must say exactly what to do.
module_missing_sentence() {
	local want="mptls: kernel TLS offload for MPTCP is unavailable: load mptls.ko, or use --offload user"
	start_server --transport mptcp || show_logs || return 1
	client --transport mptcp >"$work/nomod.out" 2>"$work/nomod.err"
	stop_server
	grep -qxF "$want" "$work/nomod.err" || { echo "stderr was:"; cat "$work/nomod.err"; return 1; }
}

tap_check "gen-ca writes a CA and a server certificate" "$bin" gen-ca "$work/pki"

case " $offloads " in *" kernel "*)
	if [ -f "$MPTLS_KO" ]; then
		unload_mptls 2>/dev/null
		tap_check "kernel offload without mptls.ko names the fix" module_missing_sentence
		tap_check "load mptls.ko" load_mptls
	elif ! module_loaded; then
		tap_skip "kernel offload without mptls.ko names the fix" "no $MPTLS_KO"
	fi
	;;
esac

for offload in $offloads; do
	for transport in $transports; do
		for version in $versions; do
			for cipher in $ciphers; do
				tap_check "TLS $version $cipher offload=$offload transport=$transport up+down --check-data" \
					transfer_both_ways "$version" "$cipher" "$offload" "$transport"
			done
		done
		tap_check "sendfile download and HTTP keep-alive, offload=$offload transport=$transport" \
			sendfile_and_http "$offload" "$transport"
	done
done
tap_done
