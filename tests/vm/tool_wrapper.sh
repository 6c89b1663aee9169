#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Wrapper mode and the concurrent server, with the record layer in the
# kernel (mptls.ko) on MPTCP:
#   `mptls server ... -- CMD` and `mptls client ... -- CMD` run plain
#   programs (cat, head, sha256sum) on the kernel-TLS socket as their stdin
#   and stdout, against userspace OpenSSL (s_client, s_server under
#   mptcpize) and against each other, byte-exact; the documented EOF rule
#   (the peer's close_notify fails a plain read with EIO); exit statuses;
#   4 wrapped connections at once;
#   the tool's own server with 8 parallel kernel-offload clients (100 run on
#   the host with user-mode TLS: tests/unit/concurrent_server_e2e_test.cpp;
#   under TCG on a busy host 20 clients took 40 to 120 s).
# Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bin=$top/build/bin/mptls
work=$(mktemp -d /tmp/mptls-wrapper.XXXXXX)
# every server and peer here is waited for by the check that starts it
trap 'rm -rf "$work"' EXIT

size=300000

setup() {
	"$bin" gen-ca "$work/pki" >/dev/null &&
	head -c "$size" /dev/urandom > "$work/blob.bin"
}

srv() { # srv PORT ARGS...: an mptls server with the test CA's key
	local port=$1
	shift
	"$bin" server --listen "127.0.0.1:$port" --cert "$work/pki/server.pem" --key "$work/pki/server.key" "$@"
}

cli() { # cli PORT ARGS...: an mptls client that trusts the test CA
	local port=$1
	shift
	"$bin" client --connect "127.0.0.1:$port" --servername localhost --ca "$work/pki/ca.pem" "$@"
}

kernel_both() { grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$1" && grep -q '"mptcp_socket":true' "$1"; }

# kernel TX by cat: `mptls server -- cat FILE`; openssl s_client reads it.
s_client_from_cat() {
	local tls=$1 port=$((12000 + RANDOM % 1000))
	srv "$port" --tls "$tls" --json -- cat "$work/blob.bin" > "$work/server.json" 2> "$work/server.err" &
	local server=$!
	wait_port "$port" || return 1
	mptcpize run openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$work/pki/ca.pem" -verify_return_error "-tls${tls/./_}" -quiet < /dev/null \
		> "$work/got.bin" 2> "$work/s_client.err" || { cat "$work/s_client.err"; return 1; }
	wait "$server" || { cat "$work/server.err"; return 1; }
	cat "$work/server.json"
	cmp "$work/blob.bin" "$work/got.bin" && kernel_both "$work/server.json" &&
	grep -q '"workload":"exec"' "$work/server.json" && grep -q '"exit_status":0' "$work/server.json"
}

# kernel RX by head: `mptls server -- sh -c 'head -c N > got'`; openssl
# s_client sends the file (-quiet waits for the server to close).
s_client_to_head() {
	local tls=$1 port=$((13000 + RANDOM % 1000))
	srv "$port" --tls "$tls" --json -- sh -c "head -c $size > $work/got.bin" > "$work/server.json" 2>&1 &
	local server=$!
	wait_port "$port" || return 1
	mptcpize run openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$work/pki/ca.pem" -verify_return_error "-tls${tls/./_}" -quiet < "$work/blob.bin" \
		> /dev/null 2> "$work/s_client.err" || { cat "$work/s_client.err"; return 1; }
	wait "$server" || { cat "$work/server.json"; return 1; }
	cmp "$work/blob.bin" "$work/got.bin" && kernel_both "$work/server.json"
}

# Client side against openssl s_server: `mptls client -- cat FILE` sends
# (kernel TX); s_server prints what it receives. No session tickets: their
# record would reach a reading command as EIO (see mptls help client).
cat_to_s_server() {
	local tls=$1 port=$((14000 + RANDOM % 1000))
	# s_server's stdin stays open and quiet (at end of file it could spin)
	rm -f "$work/quiet" && mkfifo "$work/quiet" || return 1
	sleep 120 > "$work/quiet" &
	local quiet=$!
	mptcpize run openssl s_server -accept "127.0.0.1:$port" -naccept 1 -num_tickets 0 \
		-cert "$work/pki/server.pem" -key "$work/pki/server.key" "-tls${tls/./_}" -quiet \
		> "$work/got.bin" 2> "$work/s_server.err" < "$work/quiet" &
	local server=$!
	wait_port "$port" || return 1
	cli "$port" --tls "$tls" --json -- cat "$work/blob.bin" > "$work/client.json" || return 1
	wait "$server"
	kill "$quiet"
	cat "$work/client.json"
	cmp -n "$size" "$work/blob.bin" "$work/got.bin" && kernel_both "$work/client.json"
}

# mptls to mptls, both wrapped: the reader reads to the writer's
# close_notify, which a plain read(2) sees as EIO (documented); all the
# data is there, and the client's exit status is the command's.
wrapped_both_ends() {
	local port=$((15000 + RANDOM % 1000)) rc=0
	srv "$port" --json -- cat "$work/blob.bin" > "$work/server.json" 2>&1 &
	local server=$!
	wait_port "$port" || return 1
	cli "$port" --json -- sh -c "cat > $work/got.bin; echo \$? > $work/cat.rc" \
		> "$work/client.json" 2> "$work/client.err" || rc=$?
	wait "$server" || return 1
	cat "$work/client.json" "$work/client.err"
	[ "$rc" -eq 0 ] && cmp "$work/blob.bin" "$work/got.bin" && kernel_both "$work/client.json" &&
	[ "$(cat "$work/cat.rc")" = 1 ] && grep -q 'Input/output error' "$work/client.err"
}

exit_statuses() {
	local port=$((16000 + RANDOM % 1000)) rc=0
	srv "$port" -n 2 --json -- sh -c 'exit 5' > "$work/server.json" 2> "$work/server.err" &
	local server=$!
	wait_port "$port" || return 1
	cli "$port" -- sh -c 'exit 3' > /dev/null 2>&1 || rc=$?
	[ "$rc" -eq 3 ] || { echo "client exit $rc, not 3"; return 1; }
	rc=0
	cli "$port" -- mptls-no-such-command > /dev/null 2> "$work/client.err" || rc=$?
	[ "$rc" -eq 127 ] && grep -q 'cannot run mptls-no-such-command' "$work/client.err" ||
		{ echo "client exit $rc, not 127"; cat "$work/client.err"; return 1; }
	rc=0
	wait "$server" || rc=$?
	cat "$work/server.err"
	# the server: a command that failed is a failed connection (exit 1)
	[ "$rc" -eq 1 ] && [ "$(grep -c 'sh exited with status 5' "$work/server.err")" -eq 2 ]
}

# 4 wrapped connections at once: each client hashes what its server-side
# cat sends (head -c reads exactly the file, so no EIO at the end).
wrapped_parallel() {
	local port=$((17000 + RANDOM % 1000)) n=4 i want
	want=$(sha256sum < "$work/blob.bin")
	srv "$port" -n "$n" -m "$n" --json -- cat "$work/blob.bin" > "$work/server.json" 2> "$work/server.err" &
	local server=$!
	wait_port "$port" || return 1
	local clients=()
	for i in $(seq "$n"); do
		cli "$port" -- sh -c "head -c $size | sha256sum > $work/sum.$i" > /dev/null 2>&1 &
		clients+=($!)
	done
	wait "${clients[@]}"
	wait "$server" || { cat "$work/server.err"; return 1; }
	for i in $(seq "$n"); do
		[ "$(cat "$work/sum.$i" 2>/dev/null)" = "$want" ] || { echo "client $i: wrong or no data"; return 1; }
	done
	[ "$(grep -c '"exit_status":0' "$work/server.json")" -eq "$n" ]
}

# The tool's own server, 8 clients at once, kernel offload, --check-data.
parallel_clients() {
	local port=$((18000 + RANDOM % 1000)) n=8 i ok=0
	srv "$port" -n "$n" -m "$n" --json > "$work/server.json" 2> "$work/server.err" &
	local server=$!
	wait_port "$port" || return 1
	local clients=()
	for i in $(seq "$n"); do
		cli "$port" -b 16k -C --json > "$work/c.$i.json" 2> "$work/c.$i.err" &
		clients+=($!)
	done
	wait "${clients[@]}"
	wait "$server" || { cat "$work/server.err"; return 1; }
	for i in $(seq "$n"); do
		grep -q '"verify":"ok"' "$work/c.$i.json" && kernel_both "$work/c.$i.json" && ok=$((ok + 1))
	done
	echo "$ok of $n clients ok"
	[ "$ok" -eq "$n" ] && [ "$(grep -c '"verify":"ok"' "$work/server.json")" -eq "$n" ]
}

tap_check "load mptls.ko" load_mptls
tap_check "test files and a CA" setup
if ! command -v mptcpize >/dev/null; then
	tap_check "mptcpize is installed (scripts/setup)" false
	tap_done
	exit 1
fi
tap_check "server -- cat FILE (kernel TX, TLS 1.3) -> openssl s_client, byte-exact" s_client_from_cat 1.3
tap_check "openssl s_client -> server -- head -c N (kernel RX, TLS 1.2), byte-exact" s_client_to_head 1.2
tap_check "client -- cat FILE (kernel TX, TLS 1.2) -> openssl s_server, byte-exact" cat_to_s_server 1.2
tap_check "server -- cat -> client -- cat: byte-exact, close_notify is EIO to the reader" wrapped_both_ends
tap_check "exit statuses: the command's, 127 when not found, a failed command fails the server" exit_statuses
tap_check "4 wrapped connections at once (server -m 4 -- cat), byte-exact" wrapped_parallel
tap_check "the tool's server with 8 parallel kernel-offload clients (-m 8), --check-data" parallel_clients
tap_done
