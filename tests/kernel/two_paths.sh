# SPDX-License-Identifier: MIT
# Two network namespaces joined by two veth pairs, for MPTCP with two paths
# (sourced by tests/vm/kernel_multipath.sh, after tests/vm/lib.sh):
#
#   $kt_ns_c  c1 10.1.1.1/24 <-> s1 10.1.1.2/24  $kt_ns_s   path 1 (initial subflow)
#             c2 10.1.2.1/24 <-> s2 10.1.2.2/24             path 2 (endpoint id 2)
#
# KT_PATH2=subflow (the default): the client's endpoint 10.1.2.1 (id 2,
# "subflow", dev c2) opens the second subflow to the server's one address,
# 10.1.1.2, which the client reaches over c2 from 10.1.2.1 (a source rule and
# table 102, as a multi-homed host routes); deleting the endpoint closes it.
# KT_PATH2=signal: the server announces 10.1.2.2 (id 2, "signal", ADD_ADDR)
# and the client joins it; deleting the endpoint (RM_ADDR) closes the subflow.
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
	ip -n "$kt_ns_c" rule add from 10.1.2.1 table 102 || return 1
	ip -n "$kt_ns_c" route add 10.1.1.2 via 10.1.2.2 dev c2 table 102 || return 1
	ip -n "$kt_ns_c" mptcp limits set subflow 4 add_addr_accepted 4 || return 1
	ip -n "$kt_ns_s" mptcp limits set subflow 4 add_addr_accepted 4 || return 1
	second_path_add
}

# The side that owns endpoint id 2, and its arguments.
path2_ns() {
	if [ "${KT_PATH2:-subflow}" = signal ]; then echo "$kt_ns_s"; else echo "$kt_ns_c"; fi
}

second_path_add() {
	if [ "${KT_PATH2:-subflow}" = signal ]; then
		ip -n "$kt_ns_s" mptcp endpoint add 10.1.2.2 dev s2 id 2 signal
	else
		ip -n "$kt_ns_c" mptcp endpoint add 10.1.2.1 dev c2 id 2 subflow
	fi
}

second_path_del() {
	ip -n "$(path2_ns)" mptcp endpoint delete id 2
}

second_path_flush() {
	ip -n "$(path2_ns)" mptcp endpoint flush
}

# path2_subflows_are up|down: an established subflow from 10.1.2.1 exists
# (up), or none does (down).
path2_subflows_are() {
	local n
	n=$(ip netns exec "$kt_ns_c" ss -Htn state established src 10.1.2.1 | wc -l)
	if [ "$1" = up ]; then [ "$n" -gt 0 ]; else [ "$n" -eq 0 ]; fi
}

# subflow_on_path2 up|down [SECONDS]: waits for path2_subflows_are.
subflow_on_path2() {
	wait_until "${2:-5}" path2_subflows_are "$1" ||
		{ echo "subflow on path 2 not $1 after ${2:-5}s" >&2; return 1; }
}

# tx_bytes DEV: bytes the client sent on DEV so far.
tx_bytes() {
	ip netns exec "$kt_ns_c" cat "/sys/class/net/$1/statistics/tx_bytes"
}
