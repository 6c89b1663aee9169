# SPDX-License-Identifier: GPL-2.0
# The attack test bed (sourced): four network namespaces around a router.
#
#   client $ns_c                 router $ns_r                 server $ns_s
#   c1 10.7.1.1/24 ---------- r1 10.7.1.254   r2 10.7.2.254 ---------- s1 10.7.2.1/24
#   c2 10.7.4.1/24 ---------- r4 10.7.4.254   (second client path, for the soak)
#                             r3 10.7.3.254
#                                  |
#                             a1 10.7.3.1/24   attacker $ns_a
#                             + 10.7.9.0/24 routed to 10.7.3.1 but not configured
#                               there: the attacker's "own" addresses.  Its
#                               kernel drops what comes back to them (no RST),
#                               its AF_PACKET socket on a1 sees it all.
#
# The eavesdropper taps r1 (the first subflow's path) from the router
# namespace; the off-path attacker injects from $ns_a.  rp_filter is off in
# the router so that spoofed packets from a1 are forwarded (RFC 7430's
# attacker controls a host that can forge source addresses).
#
# Wrappers: on_c / on_s / on_r / on_a CMD... run CMD in that namespace.
# The sourcing script sets $top first.

ns_c=secc-$$ ns_s=secs-$$ ns_r=secr-$$ ns_a=seca-$$
C_ADDR=10.7.1.1 S_ADDR=10.7.2.1 A_ADDR=10.7.3.1 GHOST=10.7.9.9 C2_ADDR=10.7.4.1

py=/usr/bin/python3
out="$top/build/security"	# the tables, kept after the run

# bed_workdir NAME: $work, a scratch directory for this run (bed_cleanup
# removes it), and $out.
bed_workdir() {
	work=$(mktemp -d "/tmp/$1.XXXXXX") && mkdir -p "$out"
}

# bed_cleanup: the EXIT trap's end of every run: stops what still runs in the
# namespaces, removes them and the scratch directory.
bed_cleanup() {
	bed_kill
	wait 2>/dev/null
	bed_down
	rm -rf "$work"
}

on_c() { ip netns exec "$ns_c" "$@"; }
on_s() { ip netns exec "$ns_s" "$@"; }
on_r() { ip netns exec "$ns_r" "$@"; }
on_a() { ip netns exec "$ns_a" "$@"; }

# bed_kill: ends what still runs in the test bed's namespaces (by pid).
bed_kill() {
	local n p
	for n in "$ns_c" "$ns_s" "$ns_r" "$ns_a"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	return 0
}

bed_down() {
	local n
	for n in "$ns_c" "$ns_s" "$ns_r" "$ns_a"; do
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# bed_link NS DEV ADDR RDEV RADDR: a veth pair from NS to the router.
bed_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$ns_r"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$ns_r" addr add "$5/24" dev "$4"
	ip -n "$1" link set "$2" up
	ip -n "$ns_r" link set "$4" up
}

bed_up() {
	local n
	for n in "$ns_c" "$ns_s" "$ns_r" "$ns_a"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	bed_link "$ns_c" c1 "$C_ADDR" r1 10.7.1.254
	bed_link "$ns_s" s1 "$S_ADDR" r2 10.7.2.254
	bed_link "$ns_a" a1 "$A_ADDR" r3 10.7.3.254
	bed_link "$ns_c" c2 "$C2_ADDR" r4 10.7.4.254
	ip -n "$ns_c" route add default via 10.7.1.254
	# the second client path is used only by subflows bound to c2
	ip -n "$ns_c" rule add from "$C2_ADDR" table 2
	ip -n "$ns_c" route add default via 10.7.4.254 dev c2 table 2
	ip -n "$ns_s" route add default via 10.7.2.254
	ip -n "$ns_a" route add default via 10.7.3.254
	ip -n "$ns_r" route add 10.7.9.0/24 via "$A_ADDR"
	on_r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.r3.rp_filter=0
	# both ends accept joins and announced addresses
	ip -n "$ns_c" mptcp limits set subflow 4 add_addr_accepted 4
	ip -n "$ns_s" mptcp limits set subflow 4 add_addr_accepted 4
	on_r ethtool -K r1 gro off tso off gso off >/dev/null 2>&1 || true
}

# listening NS PORT: something listens on PORT in NS.
listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .; }

# wait_listen NS PORT [SECONDS]: waits until something listens on PORT in NS.
wait_listen() {
	wait_until "${3:-20}" listening "$1" "$2" ||
		{ echo "nothing listens on port $2 in $1" >&2; return 1; }
}

# wait_file FILE [SECONDS]: waits until FILE exists.
wait_file() {
	wait_until "${2:-30}" test -e "$1" ||
		{ echo "$1 did not appear within ${2:-30}s" >&2; return 1; }
}

# mptls_stat NAME [NS]: a /proc/net/mptls_stat counter (in NS if given).
mptls_stat() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" awk -v n="$1" '$1 == n { print $2 }' /proc/net/mptls_stat
	else
		awk -v n="$1" '$1 == n { print $2 }' /proc/net/mptls_stat
	fi
}
