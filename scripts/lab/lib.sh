# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The lab's test bed (sourced; runs as root inside the VM).
#
#                        3g: 10.0.1.2/24   netem 3G profile (each way)
#   +----------+   3g  ----------------- r3g   +----------+  rsrv      srv0  +----------+
#   |  client  |                               |  router  | ---------------- |  server  |
#   |  lab-c-N |  wifi ----------------- rwifi |  lab-r-N | 10.0.0.254/24    |  lab-s-N |
#   +----------+     10.0.2.2/24  netem WiFi   +----------+     10.0.0.1/24  +----------+
#
#   Each shaped link has a netem qdisc on both ends: the client end shapes the
#   uplink, the router end the downlink (rate, delay, jitter, loss, queue from
#   the profile file).  The router-server link is not shaped.
#   Client routing: main table default via 3G (or via WiFi for the WiFi-only
#   scenarios); source routing sends 10.0.2.2 out of wifi and 10.0.1.2 out of
#   3g.  MPTCP: the client's in-kernel path manager has one endpoint,
#   "10.0.2.2 dev wifi subflow", so the initial subflow (MP_CAPABLE) leaves
#   over 3G and WiFi joins with MP_JOIN, as in the paper's Figs 1-6.
#   Scenarios 7 and 9 turn this around: opened on WiFi, 3G joins as a
#   backup subflow ("10.0.1.2 dev 3g subflow backup", 7) or as an ordinary
#   one ("10.0.1.2 dev 3g subflow", 9); mptcp_endpoints.
#   dumpcap captures on the client's 3g and wifi interfaces, and on the
#   server's srv0 (what the server sent, before the links lose any of it).

lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab_top=$(cd "$lab_dir/../.." && pwd)
MPTLS=${MPTLS:-$lab_top/build/bin/mptls}
SERVER_ADDR=10.0.0.1
SERVER_PORT=443
ns_c=lab-c-$$
ns_r=lab-r-$$
ns_s=lab-s-$$

nc() { ip netns exec "$ns_c" "$@"; }
nr() { ip netns exec "$ns_r" "$@"; }
ns() { ip netns exec "$ns_s" "$@"; }

# load_profile FILE PREFIX: reads a key=value profile (no code is run) into
# variables PREFIX_key.  Unknown keys and missing required keys are errors;
# the optional keys (bursty loss, slotted delivery) default to off.
load_profile() {
	local file=$1 prefix=$2 key value k
	local keys="name down_rate up_rate delay_ms jitter_ms loss_pct queue_pkts"
	local optional="ge_p_pct ge_r_pct ge_loss_bad_pct ge_loss_good_pct slot_min_ms slot_max_ms"
	for k in $optional; do printf -v "${prefix}_$k" '%s' ""; done
	[ -r "$file" ] || { echo "lab: profile $file is not readable" >&2; return 1; }
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=$(echo "$line" | tr -d ' \t')
		[ -n "$line" ] || continue
		key=${line%%=*}
		value=${line#*=}
		case " $keys $optional " in
		*" $key "*) ;;
		*) echo "lab: $file: unknown key '$key' (known: $keys $optional)" >&2; return 1 ;;
		esac
		case "$value" in
		*[!A-Za-z0-9.-]*|'') echo "lab: $file: bad value '$value' for $key" >&2; return 1 ;;
		esac
		printf -v "${prefix}_$key" '%s' "$value"
	done <"$file"
	for k in $keys; do
		[ -n "$(eval "echo \${${prefix}_$k:-}")" ] ||
			{ echo "lab: $file: missing key '$k'" >&2; return 1; }
	done
}

# netem_line DEV PREFIX up|down: the tc batch line shaping DEV's egress
# with one direction of a profile.
netem_line() {
	local dev=$1 p=$2 dir=$3 rate delay jitter loss limit ge slot
	rate=$(eval "echo \$${p}_${dir}_rate")
	delay=$(eval "echo \$${p}_delay_ms")
	jitter=$(eval "echo \$${p}_jitter_ms")
	loss="loss $(eval "echo \$${p}_loss_pct")%"
	limit=$(eval "echo \$${p}_queue_pkts")
	# Gilbert-Elliott: losses come in bursts (a fading radio, a cell
	# change), as a mobile link loses them, not one by one.
	ge=$(eval "echo \$${p}_ge_p_pct")
	[ -z "$ge" ] || loss="loss gemodel ${ge}% $(eval "echo \$${p}_ge_r_pct")% $(eval \
		"echo \$${p}_ge_loss_bad_pct")% $(eval "echo \$${p}_ge_loss_good_pct")%"
	# Slots: packets leave in bursts at intervals drawn from [min, max], as
	# a cellular scheduler grants the air interface (variable delay).
	slot=$(eval "echo \$${p}_slot_min_ms")
	[ -z "$slot" ] || slot="slot ${slot}ms $(eval "echo \$${p}_slot_max_ms")ms"
	# netem's own rate keeps packets in order under jitter (each packet is
	# scheduled after its predecessor), which a tbf child would not add.
	echo "qdisc replace dev $dev root netem limit $limit delay ${delay}ms ${jitter}ms $loss rate $rate $slot"
}

# testbed_up PROFILE_3G PROFILE_WIFI: builds the three namespaces above.
# Commands go through `ip -batch` / `tc -batch`, one process per namespace:
# under TCG every exec costs a noticeable fraction of a second.
testbed_up() {
	load_profile "$1" p3g
	load_profile "$2" pwifi
	local b=/tmp/lab-batch.$$
	printf 'netns add %s\n' "$ns_c" "$ns_r" "$ns_s" >"$b"
	cat >>"$b" <<-EOF
		link add 3g netns $ns_c type veth peer name r3g netns $ns_r
		link add wifi netns $ns_c type veth peer name rwifi netns $ns_r
		link add rsrv netns $ns_r type veth peer name srv0 netns $ns_s
	EOF
	ip -batch "$b"
	cat >"$b" <<-EOF
		link set lo up
		link set 3g up
		link set wifi up
		addr add 10.0.1.2/24 dev 3g
		addr add 10.0.2.2/24 dev wifi
		route add default via 10.0.1.1 dev 3g table 100
		route add default via 10.0.2.1 dev wifi table 200
		rule add from 10.0.1.2 table 100
		rule add from 10.0.2.2 table 200
		route add default via 10.0.1.1 dev 3g
		mptcp limits set subflow 2 add_addr_accepted 0
		mptcp endpoint add 10.0.2.2 dev wifi subflow
	EOF
	ip -n "$ns_c" -batch "$b"
	cat >"$b" <<-EOF
		link set lo up
		link set r3g up
		link set rwifi up
		link set rsrv up
		addr add 10.0.1.1/24 dev r3g
		addr add 10.0.2.1/24 dev rwifi
		addr add 10.0.0.254/24 dev rsrv
	EOF
	ip -n "$ns_r" -batch "$b"
	cat >"$b" <<-EOF
		link set lo up
		link set srv0 up
		addr add $SERVER_ADDR/24 dev srv0
		route add default via 10.0.0.254
		mptcp limits set subflow 2 add_addr_accepted 0
	EOF
	ip -n "$ns_s" -batch "$b"
	{ netem_line 3g p3g up; netem_line wifi pwifi up; } >"$b"
	tc -n "$ns_c" -batch "$b"
	{ netem_line r3g p3g down; netem_line rwifi pwifi down; } >"$b"
	tc -n "$ns_r" -batch "$b"
	rm -f "$b"
	nr sysctl -qw net.ipv4.ip_forward=1
	# Wire-sized segments: no TSO/GSO where TCP sends (server and client), so
	# that netem's rate, loss and queue act on real packets.
	nc sh -c 'ethtool -K 3g tso off gso off; ethtool -K wifi tso off gso off' >/dev/null 2>&1 || true
	ns ethtool -K srv0 tso off gso off >/dev/null 2>&1 || true
	# Connectivity over both paths, end to end (also warms up ARP).
	nc sh -c "ping -q -c1 -W5 -I 10.0.1.2 $SERVER_ADDR && ping -q -c1 -W5 -I 10.0.2.2 $SERVER_ADDR" >/dev/null
}

testbed_down() {
	local n
	for n in "$ns_c" "$ns_r" "$ns_s"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
}

# use_path 3g|wifi: the interface the client's unbound sockets leave by.
use_path() {
	case "$1" in
	3g) ip -n "$ns_c" route replace default via 10.0.1.1 dev 3g ;;
	wifi) ip -n "$ns_c" route replace default via 10.0.2.1 dev wifi ;;
	*) echo "lab: unknown path $1" >&2; return 1 ;;
	esac
}

# mptcp_endpoints wifi-subflow|3g-backup|3g-subflow: the client's path
# manager endpoint: WiFi joins a connection opened on 3G (scenarios 1, 2, 8),
# or 3G joins one opened on WiFi as a backup subflow (scenario 7: the peer
# sends on it only when no other subflow can) or as an ordinary one
# (scenario 9, and the bench's knobs section).
mptcp_endpoints() {
	local ep
	case "$1" in
	wifi-subflow) ep="10.0.2.2 dev wifi subflow" ;;
	3g-backup) ep="10.0.1.2 dev 3g subflow backup" ;;
	3g-subflow) ep="10.0.1.2 dev 3g subflow" ;;
	*) echo "lab: unknown endpoint set $1" >&2; return 1 ;;
	esac
	printf 'mptcp endpoint flush\nmptcp endpoint add %s\n' "$ep" | ip -n "$ns_c" -batch -
}

# wifi_link up|down: the access point appears or vanishes (router side),
# so the client's wifi loses carrier but stays configured.
wifi_link() { ip -n "$ns_r" link set rwifi "$1"; }

# wait_for DESC TIMEOUT_S CMD...: polls CMD every 50 ms for TIMEOUT_S
# seconds of wall-clock time.
wait_for() {
	local desc=$1 deadline=$((SECONDS + $2))
	shift 2
	while ! "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "lab: timed out waiting for $desc" >&2; return 1; }
		sleep 0.05
	done
}

# capture_start FILE SERVER_FILE: dumpcap on the client's two interfaces
# and on the server's; sets cap_pid.
capture_start() {
	# Not through nc(): $! must be dumpcap itself (ip netns exec execs it).
	ip netns exec "$ns_c" dumpcap -q -i 3g -i wifi -w "$1" >"$1.log" 2>&1 &
	cap_pid=$!
	ip netns exec "$ns_s" dumpcap -q -i srv0 -w "$2" >"$2.log" 2>&1 &
	cap_pid="$cap_pid $!"
	# Two dumpcaps starting at once under TCG on a busy host take a while.
	wait_for "dumpcap on 3g and wifi" 90 grep -q "Capturing on" "$1.log"
	wait_for "dumpcap on srv0" 90 grep -q "Capturing on" "$2.log"
}

capture_stop() {
	local p deadline=$((SECONDS + 20))
	# SIGTERM: a background job ignores SIGINT; dumpcap closes the file
	# cleanly.  One still starting up may not act on it: KILL after 20 s.
	for p in $cap_pid; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $cap_pid; do
		while kill -0 "$p" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	cap_pid=
}

# no_open_connections: no TCP socket to or from the server port is still
# closing in the client or server namespace (so the capture holds the FINs).
no_open_connections() {
	local out
	out=$(nc ss -tnHa "( sport = :$SERVER_PORT or dport = :$SERVER_PORT )" \
		state established state fin-wait-1 state fin-wait-2 state closing state last-ack state syn-sent)
	[ -z "$out" ] || return 1
	out=$(ns ss -tnHa "( sport = :$SERVER_PORT )" \
		state established state fin-wait-1 state fin-wait-2 state closing state last-ack state syn-recv)
	[ -z "$out" ]
}

# server_start DIR COUNT ARGS...: the mptls server in the server namespace.
server_start() {
	local dir=$1 count=$2
	shift 2
	rm -f "$dir/server.ready"
	ip netns exec "$ns_s" "$MPTLS" server --listen "$SERVER_ADDR:$SERVER_PORT" --count "$count" \
		--cert "$pki/server.pem" --key "$pki/server.key" \
		--ready-file "$dir/server.ready" --json "$@" \
		>"$dir/server.json" 2>"$dir/server.err" &
	server_pid=$!
	wait_for "the mptls server" 20 test -s "$dir/server.ready"
}

# servers_start DIR ARGS...: one mptls server per port 443-448, each until
# servers_stop: the browser workload spreads its six connections over them
# (one per port), the page and bulk clients use 443.
servers_pids=
servers_start() {
	local dir=$1 port
	shift
	for port in 443 444 445 446 447 448; do
		rm -f "$dir/server-$port.ready"
		ip netns exec "$ns_s" "$MPTLS" server --listen "$SERVER_ADDR:$port" --count 0 \
			--cert "$pki/server.pem" --key "$pki/server.key" \
			--ready-file "$dir/server-$port.ready" --json "$@" \
			>"$dir/server-$port.json" 2>"$dir/server-$port.err" &
		servers_pids="$servers_pids $!"
	done
	for port in 443 444 445 446 447 448; do
		wait_for "the mptls server on $port" 60 test -s "$dir/server-$port.ready"
	done
}

# plain_servers_start DIR ROOT: HTTP without TLS on the same ports.
plain_servers_start() {
	rm -f "$1/server.ready"
	ip netns exec "$ns_s" python3 "$lab_dir/plainhttp.py" "$2" "$1/server.ready" \
		>"$1/server.json" 2>"$1/server.err" &
	servers_pids=$!
	wait_for "the plain HTTP server" 60 test -s "$1/server.ready"
}

servers_stop() {
	local p
	for p in $servers_pids; do kill "$p" 2>/dev/null || true; done
	for p in $servers_pids; do wait "$p" 2>/dev/null || true; done
	servers_pids=
}

server_wait() {
	local rc=0
	wait "$server_pid" || rc=$?
	server_pid=
	return $rc
}

# client ARGS...: the mptls client in the client namespace.
client() {
	nc "$MPTLS" client --connect "$SERVER_ADDR:$SERVER_PORT" --servername server \
		--ca "$pki/ca.pem" --json "$@"
}

# make_pki DIR: a CA and a server certificate for the lab.
make_pki() {
	pki=$1
	[ -s "$pki/server.pem" ] || "$MPTLS" gen-ca "$pki" --san "$SERVER_ADDR" >/dev/null
}

# make_site DIR MARKER SIZES: index.html plus one object per size (e.g.
# "2k,8k,64k"), every file laced with MARKER so that plaintext would show.
make_site() {
	local dir=$1 marker=$2 sizes=$3 i=0 s bytes
	mkdir -p "$dir"
	site_paths=/
	size_bytes() {
		case "$1" in
		*k) echo $((${1%k} * 1024)) ;;
		*M) echo $((${1%M} * 1024 * 1024)) ;;
		*) echo "$1" ;;
		esac
	}
	fill() { # fill FILE BYTES: marker lines plus pseudo-random filler
		local text="$marker <p>lab object</p>"$'\n' half=$(($2 / 2))
		while [ ${#text} -lt "$half" ]; do text=$text$text; done
		{ printf '%s' "${text:0:$half}"; head -c "$(($2 - half))" /dev/urandom; } >"$1"
	}
	fill "$dir/index.html" 12288
	for s in ${sizes//,/ }; do
		i=$((i + 1))
		bytes=$(size_bytes "$s")
		fill "$dir/obj$i.bin" "$bytes"
		site_paths="$site_paths,/obj$i.bin"
	done
}
