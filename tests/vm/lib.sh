# SPDX-License-Identifier: GPL-2.0
# Helpers for the in-VM tests (sourced).  Each test prints TAP lines.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# MPTLS_KO=PATH tests a module built elsewhere (scripts/kbuild K . DIR).
MPTLS_KO=${MPTLS_KO:-"$top/build/$(uname -r)/mptls.ko"}
tap_n=0
tap_failures=0

# tap_check NAME CMD...: one TAP line for the outcome of CMD.
tap_check() {
	local name=$1 out rc
	shift
	tap_n=$((tap_n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -n 30
		tap_failures=$((tap_failures + 1))
	fi
	return 0
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failures" -eq 0 ]
}

# kernel_series: the name scripts/vm and setup use for the running kernel
# (6.1, 6.12, 6.12-rt).
kernel_series() {
	local r
	r=$(uname -r)
	case "$r" in
	*-rt-*) echo "$(cut -d. -f1,2 <<<"$r")-rt" ;;
	*) cut -d. -f1,2 <<<"$r" ;;
	esac
}

module_loaded() { [ -d /sys/module/mptls ]; }

load_mptls() {
	module_loaded || insmod "$MPTLS_KO"
}

unload_mptls() {
	! module_loaded || rmmod mptls
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails
# once SECONDS have gone by without success.
wait_until() {
	local tries=$(($1 * 10))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# wait_port PORT: until something listens on TCP (or MPTCP) PORT, 10 s at most.
wait_port() {
	local i
	for i in $(seq 200); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# mib NS NAME: a TCP/MPTCP MIB counter in NS (absolute, nstat's history untouched).
mib() {
	ip netns exec "$1" nstat -asz "$2" | awk -v n="$2" '$1 == n { print $2 }'
}
