# SPDX-License-Identifier: GPL-2.0
# nginx serving files over HTTPS, set up as README's "Install on a server"
# tells an operator to (sendfile on; ssl_conf_command Options KTLS), for the
# tests and the benchmark.  Sourced, not run.
#
#   nginx_conf DIR LISTEN ROOT PKI [ktls] [DIRECTIVE...]
#   nginx_start DIR [WRAPPER...]      e.g. ip netns exec NS mptcpize run
#   nginx_stop DIR
#   nginx_log_line DIR N              line N of DIR/access.log, once written
#   curl_tls_args VERSION             curl's options for exactly TLS VERSION
#
# One instance keeps its files in DIR: nginx.conf, nginx.pid, nginx.err,
# nginx.out and access.log, one line per request:
#   <protocol> <cipher> <status> <body bytes sent>     (TLSv1.3 TLS_AES_128_GCM_SHA256 200 2000000)

# nginx_conf DIR LISTEN ROOT PKI [ktls] [DIRECTIVE...]: writes DIR/nginx.conf
# for an nginx that serves ROOT on LISTEN (ADDR:PORT or PORT) with
# PKI/server.pem and PKI/server.key, TLS 1.2 and 1.3, sendfile on.  "ktls"
# adds ssl_conf_command Options KTLS: OpenSSL hands its keys to the kernel
# (tls.ko on TCP, mptls.ko on MPTCP) and nginx sends files with SSL_sendfile.
# Without it OpenSSL seals every record in nginx and sendfile is not used.
# Each DIRECTIVE ("location = /a { ... }") goes into the server block.
nginx_conf() {
	local dir listen=$2 root pki ktls='' extra='' d
	# nginx reads relative paths from its prefix, not from here
	dir=$(realpath -m "$1") root=$(realpath -m "$3") pki=$(realpath -m "$4")
	shift 4
	if [ "${1:-}" = ktls ]; then
		ktls='ssl_conf_command Options KTLS;'
		shift
	fi
	[ $# -eq 0 ] || extra=$(printf '\t\t%s\n' "$@")
	mkdir -p "$dir" || return 1
	# The workers run as an unprivileged user and open the files in ROOT:
	# it and every directory above it must be open to them.
	chmod -R a+rX "$root" || return 1
	d=$(dirname "$root")
	while [ "$d" != / ]; do
		case $(stat -c %A "$d") in
		*[xt]) ;;
		*) chmod o+x "$d" || return 1 ;;
		esac
		d=$(dirname "$d")
	done
	cat > "$dir/nginx.conf" <<CONF
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events {}
http {
	log_format tls '\$ssl_protocol \$ssl_cipher \$status \$body_bytes_sent';
	access_log $dir/access.log tls;
	sendfile on;
	server {
		listen $listen ssl;
		ssl_certificate $pki/server.pem;
		ssl_certificate_key $pki/server.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		$ktls
		root $root;
$extra
	}
}
CONF
}

# nginx_start DIR [WRAPPER...]: starts nginx on DIR/nginx.conf in the
# background, under WRAPPER (ip netns exec NS; mptcpize run, which makes its
# sockets MPTCP), and returns once it listens: nginx writes its pid file
# after it has bound its sockets.  20 s at most; on failure prints why.
# Sets nginx_pid (the master's, for the caller's cleanup).  Its output goes
# to DIR/nginx.out, so a caller inside $(...) does not wait for it.
nginx_start() {
	local dir=$1 _
	shift
	rm -f "$dir/nginx.pid"
	"$@" nginx -c "$dir/nginx.conf" -e "$dir/nginx.err" > "$dir/nginx.out" 2>&1 &
	nginx_pid=$!
	for _ in $(seq 400); do
		[ -s "$dir/nginx.pid" ] && return 0
		kill -0 "$nginx_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "nginx on $dir/nginx.conf did not start:" >&2
	cat "$dir/nginx.out" "$dir/nginx.err" >&2 2>/dev/null
	return 1
}

# nginx_stop DIR: stops the nginx of DIR (fast shutdown), 5 s at most.
nginx_stop() {
	local pid _
	pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "nginx $pid ($1) did not stop" >&2
	return 1
}

# nginx_log_line DIR N: prints line N of DIR/access.log, waiting up to 10 s
# for it: nginx logs a request in its log phase, after the last byte went
# into the socket, and curl can have read that byte and exited before the
# worker runs again (a loaded host; the bench once failed on the empty log).
nginx_log_line() {
	local log=$1/access.log n=$2 _
	for _ in $(seq 200); do
		[ "$(wc -l < "$log" 2>/dev/null || echo 0)" -ge "$n" ] && break
		sleep 0.05
	done
	sed -n "${n}p" "$log" 2>/dev/null | grep . ||
		{ echo "nginx did not log request $n in $log within 10 s" >&2; return 1; }
}

# curl_tls_args VERSION: curl's options that allow TLS VERSION (1.2, 1.3) only.
curl_tls_args() {
	case "$1" in
	1.2) echo "--tlsv1.2 --tls-max 1.2" ;;
	1.3) echo "--tlsv1.3 --tls-max 1.3" ;;
	*) echo "curl_tls_args: TLS $1? (1.2 or 1.3)" >&2; return 1 ;;
	esac
}
