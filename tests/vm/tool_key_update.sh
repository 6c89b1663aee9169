#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# TLS 1.3 KeyUpdate end to end: `mptls --key-update-every` with the record
# layer in the kernel (mptls.ko, MPTCP) against OpenSSL userspace peers
# (`openssl s_server` and `s_client`, MPTCP through `mptcpize run`), in
# both roles and both data directions:
#
#   mptls client --send-file A   ->  s_server        (stdout hashed)
#   mptls client -d down         <-  s_server        (stdin: the file A)
#   mptls server --send-file A   ->  s_client        (stdout hashed)
#   mptls server                 <-  s_client        (stdin: the file A)
#
# mptls asks for an update (update_requested) after every EVERY bytes it
# sends or receives; OpenSSL answers each with a KeyUpdate of its own, so
# the kernel moves TX and RX keys while data flows.  The OpenSSL peers
# speak the tool's bulk protocol from static bytes: a request line or "OK
# N", the data, and its SHA-256 (which the tool checks, --check-data).
# Byte-exact: the tool's digest check where mptls receives, and the
# SHA-256 of the OpenSSL side's whole output where it sends.  Counts: the
# tool's key_updates_sent/received and /proc/net/mptls_stat
# TlsTxRekeyOk/TlsRxRekeyOk.  On plain TCP, stock tls.ko cannot rekey:
# the tool must stop with its one sentence, within a time limit.
#
# MPTLS_KEY_UPDATE_BYTES: bytes per transfer (default 8M, 32M in all);
# MPTLS_KEY_UPDATE_EVERY: the interval (default 1M).  K/M/G suffixes.
# MPTLS_KEY_UPDATE_TMP: where the test file goes (default /tmp, the
# guest's small tmpfs; for 1G, /dev/shm with scripts/vm --mem 4096).
# Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bin=$top/build/bin/mptls
bytes_arg=${MPTLS_KEY_UPDATE_BYTES:-8M}
every_arg=${MPTLS_KEY_UPDATE_EVERY:-1M}
work=$(mktemp -d "${MPTLS_KEY_UPDATE_TMP:-/tmp}/mptls-keyupd.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# to_bytes 8M: the count numfmt reads (1024-based, as the tool).
to_bytes() { numfmt --from=iec "$1"; }
size=$(to_bytes "$bytes_arg")
every=$(to_bytes "$every_arg")
# Updates mptls asks for in one transfer: one per EVERY bytes moved.
asks=$((size / every))

# wait_bounded PID SECONDS: its exit status, or 1 (and it is killed) when
# it runs longer: a stuck peer fails the check instead of the whole run.
wait_bounded() {
	timeout "$2" tail --pid="$1" -f /dev/null || { kill "$1" 2>/dev/null; return 1; }
	wait "$1"
}

stat_of() { awk -v k="$1" '$1 == k { print $2 }' /proc/net/mptls_stat; }
port() { echo $((20000 + RANDOM % 20000)); }

setup() {
	"$bin" gen-ca "$work/pki" >/dev/null &&
	head -c "$size" /dev/urandom > "$work/A" &&
	openssl dgst -sha256 -binary "$work/A" > "$work/A.sha" &&
	ln -s A "$work/B" && ln -s A.sha "$work/B.sha" # one file: it may be 1 GiB of RAM
}

# Feeds a peer's stdin: static bytes, then stays open (EOF on stdin ends
# s_server's connection) until killed.  Run in the background, its pid is
# the sleep's; nothing of it holds tap_check's output pipe.
feeder() {
	"$@"
	exec sleep 600 2>/dev/null
}

# json_count FILE KEY: an integer field of the tool's --json line.
json_count() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }

# check_counts JSON TX0 RX0: mptls asked for $asks updates and got answers;
# the kernel installed that many keys each way.
check_counts() {
	local json=$1 tx0=$2 rx0=$3 sent received tx rx
	sent=$(json_count "$json" key_updates_sent)
	received=$(json_count "$json" key_updates_received)
	tx=$(($(stat_of TlsTxRekeyOk) - tx0))
	rx=$(($(stat_of TlsRxRekeyOk) - rx0))
	echo "key_updates_sent=$sent key_updates_received=$received TlsTxRekeyOk+=$tx TlsRxRekeyOk+=$rx (asked $asks)" |
		tee -a "$work/summary"
	[ "$sent" -ge "$asks" ] && [ "$received" -gt 0 ] &&
	[ "$tx" -eq "$sent" ] && [ "$rx" -eq "$received" ] &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$json" &&
	grep -q '"mptcp_socket":true' "$json" &&
	grep -q '"fell_back_to_tcp":false' "$json" &&
	grep -q '"tls_version":"TLSv1.3"' "$json" &&
	grep -q '"verify":"ok"' "$json"
}

# s_server over MPTCP for one connection; stdin from the feeder, stdout
# hashed.  Sets server and feed.
start_s_server() {
	local p=$1 out=$2
	shift 2
	mkfifo "$work/in.$p"
	feeder "$@" > "$work/in.$p" 2>/dev/null &
	feed=$!
	pids+=("$feed")
	timeout 900 mptcpize run openssl s_server -accept "127.0.0.1:$p" -naccept 1 -tls1_3 -quiet \
		-cert "$work/pki/server.pem" -key "$work/pki/server.key" \
		< "$work/in.$p" 2> "$work/s_server.err" | sha256sum | cut -d' ' -f1 > "$out" &
	server=$!
	pids+=("$server")
	wait_port "$p"
}

start_mptls_server() {
	local p=$1
	shift
	"$bin" server --listen "127.0.0.1:$p" --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
		--tls 1.3 --offload kernel --count 1 --json --key-update-every "$every_arg" "$@" \
		> "$work/server.json" 2> "$work/server.err" &
	server=$!
	pids+=("$server")
	wait_port "$p"
}

client_args() {
	echo client --connect "127.0.0.1:$1" --servername localhost --ca "$work/pki/ca.pem" --tls 1.3 \
		--offload kernel --json --check-data --key-update-every "$every_arg"
}

s_client() {
	timeout 600 mptcpize run openssl s_client -connect "127.0.0.1:$1" -servername localhost \
		-CAfile "$work/pki/ca.pem" -verify_return_error -tls1_3 -quiet 2> "$work/s_client.err"
}

# kernel TX: the tool uploads A; s_server writes what it got: our request
# line, A and A's SHA-256.
client_to_s_server() {
	local p tx0 rx0 want
	p=$(port) tx0=$(stat_of TlsTxRekeyOk) rx0=$(stat_of TlsRxRekeyOk)
	want=$({ printf 'MPTLS-BULK/1 up %d verify\n' "$size"; cat "$work/A" "$work/A.sha"; } |
		sha256sum | cut -d' ' -f1)
	start_s_server "$p" "$work/got" sh -c "printf 'OK %d\n' $size; cat '$work/A.sha'" || return 1
	# shellcheck disable=SC2046
	timeout 600 "$bin" $(client_args "$p") --send-file "$work/A" > "$work/client.json" 2> "$work/client.err" ||
		{ cat "$work/client.err" "$work/s_server.err"; return 1; }
	wait_bounded "$server" 60
	kill "$feed" 2>/dev/null
	cat "$work/client.json"
	check_counts "$work/client.json" "$tx0" "$rx0" &&
	echo "s_server got $(cat "$work/got"), want $want" && [ "$(cat "$work/got")" = "$want" ]
}

# kernel RX: the tool downloads B from s_server (stdin: "OK N", B, its
# SHA-256) and checks the digest.
client_from_s_server() {
	local p tx0 rx0
	p=$(port) tx0=$(stat_of TlsTxRekeyOk) rx0=$(stat_of TlsRxRekeyOk)
	start_s_server "$p" "$work/got" sh -c "printf 'OK %d\n' $size; cat '$work/B' '$work/B.sha'" ||
		return 1
	# shellcheck disable=SC2046
	timeout 600 "$bin" $(client_args "$p") --direction down --bytes "$size" \
		> "$work/client.json" 2> "$work/client.err" ||
		{ cat "$work/client.err" "$work/s_server.err"; return 1; }
	wait_bounded "$server" 60
	kill "$feed" 2>/dev/null
	cat "$work/client.json"
	check_counts "$work/client.json" "$tx0" "$rx0" &&
	grep -q "\"bytes_received\":$size" "$work/client.json"
}

# kernel TX: s_client asks the tool's server for its file A; s_client
# writes "OK N", A and A's SHA-256.
s_client_from_server() {
	local p tx0 rx0 want got
	p=$(port) tx0=$(stat_of TlsTxRekeyOk) rx0=$(stat_of TlsRxRekeyOk)
	want=$({ printf 'OK %d\n' "$size"; cat "$work/A" "$work/A.sha"; } | sha256sum | cut -d' ' -f1)
	start_mptls_server "$p" --send-file "$work/A" || return 1
	got=$({ printf 'MPTLS-BULK/1 down 0 verify\n'; cat "$work/A.sha"; } |
		s_client "$p" | sha256sum | cut -d' ' -f1)
	wait_bounded "$server" 60 || { cat "$work/server.err" "$work/s_client.err"; return 1; }
	cat "$work/server.json"
	check_counts "$work/server.json" "$tx0" "$rx0" &&
	echo "s_client got $got, want $want" && [ "$got" = "$want" ]
}

# kernel RX: s_client uploads B to the tool's server, which checks it.
s_client_to_server() {
	local p tx0 rx0
	p=$(port) tx0=$(stat_of TlsTxRekeyOk) rx0=$(stat_of TlsRxRekeyOk)
	start_mptls_server "$p" || return 1
	{ printf 'MPTLS-BULK/1 up %d verify\n' "$size"; cat "$work/B" "$work/B.sha"; } |
		s_client "$p" > /dev/null
	wait_bounded "$server" 60 || { cat "$work/server.err" "$work/s_client.err"; return 1; }
	cat "$work/server.json"
	check_counts "$work/server.json" "$tx0" "$rx0" &&
	grep -q "\"bytes_received\":$size" "$work/server.json"
}

# Plain TCP with kernel offload: tls.ko of 6.1/6.12 answers the second
# TLS_TX with EBUSY.  The tool stops with the sentence naming cause and
# fix, in time, and no data reaches the peer as if it were complete.
tcp_refuses_clearly() {
	local p rc
	p=$(port)
	modprobe tls 2>/dev/null
	mkfifo "$work/in.tcp"
	feeder sh -c "printf 'OK %d\n' $size" > "$work/in.tcp" 2>/dev/null &
	feed=$!
	pids+=("$feed")
	openssl s_server -accept "127.0.0.1:$p" -naccept 1 -tls1_3 -quiet \
		-cert "$work/pki/server.pem" -key "$work/pki/server.key" \
		< "$work/in.tcp" > "$work/tcp.got" 2> "$work/s_server.err" &
	server=$!
	pids+=("$server")
	wait_port "$p" || return 1
	# shellcheck disable=SC2046
	timeout 120 "$bin" $(client_args "$p") --transport tcp --send-file "$work/A" \
		> "$work/client.json" 2> "$work/client.err"
	rc=$?
	wait_bounded "$server" 30
	kill "$feed" 2>/dev/null
	cat "$work/client.err"
	echo "exit status $rc; s_server got $(stat -c %s "$work/tcp.got") bytes"
	[ "$rc" -eq 1 ] &&
	grep -q "kernel TLS on plain TCP cannot change keys on this kernel" "$work/client.err" &&
	grep -q "use --transport mptcp with mptls.ko, or --offload user" "$work/client.err" &&
	[ "$(stat -c %s "$work/tcp.got")" -lt "$((size + 100))" ]
}

tap_check "load mptls.ko" load_mptls
if ! command -v mptcpize >/dev/null || ! command -v numfmt >/dev/null; then
	tap_check "mptcpize and numfmt are installed (scripts/setup)" false
	tap_done
	exit 1
fi
if ! grep -q TlsTxRekeyOk /proc/net/mptls_stat; then
	tap_check "this mptls.ko counts key updates (TlsTxRekeyOk: rebuild with make modules)" false
	tap_done
	exit 1
fi
tap_check "test files ($bytes_arg each) and a CA" setup
start=$SECONDS
tap_check "kernel TX, KeyUpdate every $every_arg: mptls client -> openssl s_server, $bytes_arg byte-exact" \
	client_to_s_server
tap_check "kernel RX, KeyUpdate every $every_arg: mptls client <- openssl s_server, $bytes_arg byte-exact" \
	client_from_s_server
tap_check "kernel TX, KeyUpdate every $every_arg: mptls server -> openssl s_client, $bytes_arg byte-exact" \
	s_client_from_server
tap_check "kernel RX, KeyUpdate every $every_arg: mptls server <- openssl s_client, $bytes_arg byte-exact" \
	s_client_to_server
sed 's/^/# /' "$work/summary" 2>/dev/null
echo "# four transfers of $bytes_arg with a KeyUpdate every $every_arg: $((SECONDS - start)) s"
tap_check "TCP with stock tls.ko: --key-update-every stops with a sentence naming cause and fix" \
	tcp_refuses_clearly
tap_done
