#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Interop: the tool with the record layer in the kernel (mptls.ko) against
# programs whose TLS is plain userspace OpenSSL, over MPTCP (`mptcpize run`
# makes their sockets MPTCP).  Byte-exact in both kernel directions:
#   kernel RX  nginx, and `openssl s_server -HTTP`, serve a file with its
#              RFC 9530 Repr-Digest; `mptls client --get --check-data` (kernel
#              offload) checks the body against it; nginx also frames it
#              chunked and by closing the connection;
#   kernel TX  `mptls server --http-root` (kernel offload) serves a file,
#              curl and `openssl s_client` fetch it.
# If our records were not standard TLS, OpenSSL on the other end would fail
# the record MAC.  TLS 1.2 and 1.3.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$top/scripts/lib/nginx.sh"

bin=$top/build/bin/mptls
work=$(mktemp -d /tmp/mptls-interop.XXXXXX)
pids=()
cleanup() {
	local p
	nginx_stop "$work/nginx" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT


setup() {
	"$bin" gen-ca "$work/pki" >/dev/null &&
	mkdir -p "$work/www/chunked" "$work/www/close" &&
	head -c 3000000 /dev/urandom > "$work/www/blob.bin" &&
	cp "$work/www/blob.bin" "$work/www/chunked/blob.bin" &&
	cp "$work/www/blob.bin" "$work/www/close/blob.bin" &&
	chmod -R a+rX "$work"	# nginx's workers run as www-data
}

# nginx with its own OpenSSL records (no KTLS), MPTCP through mptcpize
# (scripts/lib/nginx.sh).  A body filter (one that never matches) drops
# Content-Length, so nginx frames the same bytes with chunked transfer
# coding, or with chunking off by closing the connection (RFC 9112 6.3).
start_nginx() {
	local digest_header="add_header Repr-Digest \"sha-256=:$digest:\";"
	local no_length="sub_filter_types *; sub_filter 'MPTLS-NOT-IN-RANDOM-DATA' 'x';"

	nginx_conf "$work/nginx" 127.0.0.1:8443 "$work/www" "$work/pki" \
		"location = /blob.bin { $digest_header }" \
		"location /chunked/ { $digest_header $no_length }" \
		"location /close/ { $digest_header $no_length chunked_transfer_encoding off; }" &&
	nginx_start "$work/nginx" mptcpize run
}

# kernel RX: mptls client against nginx; compares the body's SHA-256.
client_from_nginx() {
	local tls=$1 out
	out=$("$bin" client --connect 127.0.0.1:8443 --servername localhost --ca "$work/pki/ca.pem" \
		--tls "$tls" --offload kernel --get /blob.bin --check-data --json) || return 1
	echo "$out"
	grep -q "\"sha256\":\"$want\"" <<<"$out" &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' <<<"$out" &&
	grep -q '"mptcp_socket":true' <<<"$out" &&
	grep -q '"fell_back_to_tcp":false' <<<"$out"
}

# kernel RX: the same file from nginx on one connection, framed by chunked
# transfer coding, then by the end of the connection (close_notify); the
# client's report names the framing of each.
client_framing_from_nginx() {
	local tls=$1 out
	out=$("$bin" client --connect 127.0.0.1:8443 --servername localhost --ca "$work/pki/ca.pem" \
		--tls "$tls" --offload kernel --get /chunked/blob.bin,/close/blob.bin --check-data --json) || return 1
	echo "$out"
	[ "$(grep -o "\"sha256\":\"$want\"" <<<"$out" | wc -l)" -eq 2 ] &&
	grep -q '"path":"/chunked/blob.bin",[^}]*"framing":"chunked"' <<<"$out" &&
	grep -q '"path":"/close/blob.bin",[^}]*"framing":"close"' <<<"$out" &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' <<<"$out"
}

# kernel RX: mptls client against openssl s_server -HTTP, which sends a file
# holding a whole HTTP response; compares the body's SHA-256.
client_from_s_server() {
	local tls=$1 port=$((10000 + RANDOM % 1000)) out
	(cd "$work/www" && exec mptcpize run openssl s_server -accept "127.0.0.1:$port" -naccept 1 \
		-cert "$work/pki/server.pem" -key "$work/pki/server.key" "-tls${tls/./_}" -HTTP -quiet \
		> "$work/s_server.out" 2>&1) &
	local server=$!
	wait_port "$port" || return 1
	out=$("$bin" client --connect "127.0.0.1:$port" --servername localhost --ca "$work/pki/ca.pem" \
		--tls "$tls" --offload kernel --get /blob.http --check-data --json) || return 1
	wait "$server"
	echo "$out"
	grep -q "\"sha256\":\"$want\"" <<<"$out" &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' <<<"$out" &&
	grep -q '"mptcp_socket":true' <<<"$out"
}

# kernel TX: curl (OpenSSL, MPTCP via mptcpize) from an mptls server.
curl_from_server() {
	local tls=$1 port=$((9000 + RANDOM % 1000)) curl_tls got
	case "$tls" in 1.2) curl_tls="--tlsv1.2 --tls-max 1.2" ;; *) curl_tls="--tlsv1.3" ;; esac
	"$bin" server --listen "127.0.0.1:$port" --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
		--tls "$tls" --offload kernel --http-root "$work/www" --count 1 --json > "$work/server.json" 2>&1 &
	local server=$!
	wait_port "$port" || return 1
	# shellcheck disable=SC2086
	mptcpize run curl -sS $curl_tls --cacert "$work/pki/ca.pem" --resolve "localhost:$port:127.0.0.1" \
		"https://localhost:$port/blob.bin" -o "$work/got.bin" || return 1
	wait "$server"
	cat "$work/server.json"
	got=$(sha256sum "$work/got.bin" | cut -d' ' -f1)
	[ "$got" = "$want" ] && grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$work/server.json"
}

# kernel TX: openssl s_client sends a GET to an mptls server and writes what
# comes back; the body after the headers must be the file.
s_client_from_server() {
	local tls=$1 port=$((11000 + RANDOM % 1000)) got
	"$bin" server --listen "127.0.0.1:$port" --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
		--tls "$tls" --offload kernel --http-root "$work/www" --count 1 --json > "$work/server.json" 2>&1 &
	local server=$!
	wait_port "$port" || return 1
	printf 'GET /blob.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		mptcpize run openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$work/pki/ca.pem" -verify_return_error "-tls${tls/./_}" -quiet \
			> "$work/got.http" 2> "$work/s_client.err" || { cat "$work/s_client.err"; return 1; }
	wait "$server"
	cat "$work/server.json"
	got=$(/usr/bin/python3 -c 'import hashlib, sys
d = open(sys.argv[1], "rb").read()
print(hashlib.sha256(d.split(b"\r\n\r\n", 1)[1]).hexdigest())' "$work/got.http")
	[ "$got" = "$want" ] && grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$work/server.json"
}

tap_check "load mptls.ko" load_mptls
tap_check "test files and a CA" setup
want=$(sha256sum "$work/www/blob.bin" | cut -d' ' -f1)
# the same digest as RFC 9530 sends it, for nginx and s_server to declare
digest=$(openssl dgst -sha256 -binary "$work/www/blob.bin" | base64 -w0)
{
	printf 'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nRepr-Digest: sha-256=:%s:\r\n' \
		"$(stat -c %s "$work/www/blob.bin")" "$digest"
	printf 'Connection: close\r\n\r\n'
	cat "$work/www/blob.bin"
} > "$work/www/blob.http"
if ! command -v mptcpize >/dev/null || ! command -v nginx >/dev/null || ! command -v curl >/dev/null; then
	tap_check "mptcpize, nginx and curl are installed (scripts/setup)" false
	tap_done
	exit 1
fi
start_nginx
tap_check "nginx over MPTCP (mptcpize) listens" wait_port 8443
tap_check "kernel RX, TLS 1.3: mptls client <- nginx, a chunked body, then one ended by close_notify" \
	client_framing_from_nginx 1.3
for tls in 1.2 1.3; do
	tap_check "kernel RX, TLS $tls: mptls client <- nginx (OpenSSL records), byte-exact" client_from_nginx "$tls"
	tap_check "kernel TX, TLS $tls: mptls server -> curl (OpenSSL records), byte-exact" curl_from_server "$tls"
	tap_check "kernel RX, TLS $tls: mptls client <- openssl s_server, byte-exact" client_from_s_server "$tls"
	tap_check "kernel TX, TLS $tls: mptls server -> openssl s_client, byte-exact" s_client_from_server "$tls"
done
tap_done
