# SPDX-License-Identifier: MIT
# Two network namespaces joined by two veth pairs, for MPTCP with two paths
# (sourced by tests/vm/kernel_multipath.sh):
#
#   $kt_ns_c  c1 10.1.1.1/24 <-> s1 10.1.1.2/24  $kt_ns_s   path 1 (initial subflow)
#             c2 10.1.2.1/24 <-> s2 10.1.2.2/24             path 2 (endpoint id 2)
#
# The server's endpoint 10.1.2.2 (id 2, "signal") is announced to the client
# (ADD_ADDR), which opens the second subflow 10.1.2.1 -> 10.1.2.2 over c2;
# deleting the endpoint (RM_ADDR) makes the client close it.  (A client-side
# "subflow" endpoint bound with "dev c2" never sent a join on 6.1 here, and
# one without "dev" left through c1: the announced address is the path that
# reliably runs over the second veth pair.)

kt_ns_c=ktc-$$
kt_ns_s=kts-$$

two_paths_down() {
	ip netns del "$kt_ns_c" 2>/dev/null
	ip netns del "$kt_ns_s" 2>/dev/null
	return 0
}

two_paths_up() {
	local i
	ip netns add "$kt_ns_c" && ip netns add "$kt_ns_s" || return 1
	for i in 1 2; do
		ip link add "c$i" netns "$kt_ns_c" type veth peer name "s$i" netns "$kt_ns_s" || return 1
		ip -n "$kt_ns_c" addr add "10.1.$i.1/24" dev "c$i" || return 1
		ip -n "$kt_ns_s" addr add "10.1.$i.2/24" dev "s$i" || return 1
		ip -n "$kt_ns_c" link set "c$i" up && ip -n "$kt_ns_s" link set "s$i" up || return 1
	done
	ip -n "$kt_ns_c" link set lo up && ip -n "$kt_ns_s" link set lo up || return 1
	ip -n "$kt_ns_c" mptcp limits set subflow 4 add_addr_accepted 4 || return 1
	ip -n "$kt_ns_s" mptcp limits set subflow 4 add_addr_accepted 4 || return 1
	second_path_add
}

second_path_add() {
	ip -n "$kt_ns_s" mptcp endpoint add 10.1.2.2 dev s2 id 2 signal
}

second_path_del() {
	ip -n "$kt_ns_s" mptcp endpoint delete id 2
}

second_path_flush() {
	ip -n "$kt_ns_s" mptcp endpoint flush
}

# subflow_on_path2 up|down [SECONDS]: waits until an established subflow
# from 10.1.2.1 exists (up) or none does (down).
subflow_on_path2() {
	local want=$1 tries=$((${2:-5} * 10)) n
	while [ "$tries" -gt 0 ]; do
		n=$(ip netns exec "$kt_ns_c" ss -Htn state established src 10.1.2.1 | wc -l)
		if { [ "$want" = up ] && [ "$n" -gt 0 ]; } || { [ "$want" = down ] && [ "$n" -eq 0 ]; }; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "subflow on path 2 not $want after ${2:-5}s" >&2
	return 1
}

# tx_bytes DEV: bytes the client sent on DEV so far.
tx_bytes() {
	ip netns exec "$kt_ns_c" cat "/sys/class/net/$1/statistics/tx_bytes"
}

# mib NS NAME: an MPTCP MIB counter in NS (absolute, history untouched).
mib() {
	ip netns exec "$1" nstat -asz "$2" | awk -v n="$2" '$1 == n { print $2 }'
}
