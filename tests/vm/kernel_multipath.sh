#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kTLS over a two-subflow MPTCP connection between two namespaces while the
# second subflow is removed and re-added mid-transfer (tests/kernel/
# tool_bulk.c, subflow_hook.sh, two_paths.sh): 256 MiB per variant, every
# byte verified, both paths carried data (interface counters), and the
# subflow came back each time (the server's MPJoinAckRx: the first join and
# two re-joins).  KT_MULTIPATH_BYTES sets another size;
# MPTLS_MULTIPATH_PATH2=signal makes the second path a server-announced
# address instead of the client's "subflow" endpoint.  KT_MULTIPATH_VARIANTS
# names the version x cipher variants to run (all eight by default).
# (scripts/vm passes MPTLS_* through: scripts/vm -- env KT_MULTIPATH_BYTES=8M ...)
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"
. "$top/tests/kernel/two_paths.sh"
# how the second path comes and goes (two_paths.sh): subflow or signal
export KT_PATH2=${MPTLS_MULTIPATH_PATH2:-subflow}

kt_build || { tap_done; exit 1; }
summary=$(mktemp)
trap 'two_paths_down; rm -f "$summary"' EXIT
load_mptls
# Without it gcm(aes) is ctr(aes-generic): the guest CPU has AES-NI, use it.
modprobe -q aesni_intel 2>/dev/null
tap_check "two namespaces with two paths" two_paths_up || { tap_done; exit 1; }

# one_variant VARIANT SIZE: the transfer and its checks; prints the split.
one_variant() {
	local v=$1 bytes=$2 port=$((20000 + RANDOM % 20000)) out c1 c2 joins0 joins srv_pid rc=0
	out=$(mktemp -d)
	c1=$(tx_bytes c1) c2=$(tx_bytes c2)
	joins0=$(mib "$kt_ns_s" MPTcpExtMPJoinAckRx)
	ip netns exec "$kt_ns_s" timeout 600 "$kt_bin/tool_bulk" server 0.0.0.0 "$port" "$v" "$bytes" \
		> "$out/server" 2>&1 &
	srv_pid=$!
	for _ in $(seq 100); do grep -q listening "$out/server" && break; sleep 0.05; done
	KT_HOOK_LOG=$summary.hook KT_NS_C=$kt_ns_c KT_NS_S=$kt_ns_s ip netns exec "$kt_ns_c" timeout 600 "$kt_bin/tool_bulk" client 10.1.1.2 "$port" \
		"$v" "$bytes" "$top/tests/kernel/subflow_hook.sh" > "$out/client" 2>&1 || rc=1
	wait "$srv_pid" || rc=1
	cat "$out/client" "$out/server" "$summary.hook" > "$summary" 2>/dev/null
	rm -f "$summary.hook"
	c1=$(( $(tx_bytes c1) - c1 )) c2=$(( $(tx_bytes c2) - c2 ))
	joins=$(( $(mib "$kt_ns_s" MPTcpExtMPJoinAckRx) - joins0 ))
	echo "path 1 sent $c1 bytes, path 2 sent $c2 bytes, $joins subflow joins" >> "$summary"
	rm -rf "$out"
	[ "$rc" -eq 0 ] || { echo "transfer failed"; return 1; }
	# Each path carried data, not just handshakes (a join plus its ACKs is
	# under 2 KiB): the scheduler favours the first subflow, and path 2
	# carried 2-11 % of 256 MiB in the 6.1 guest, and 2.2 MiB or more of
	# make check's 32 MiB in 24 runs on 6.1, 6.12 and 6.12-rt.
	[ "$c1" -ge $((256 << 10)) ] || { echo "path 1 carried too little"; return 1; }
	[ "$c2" -ge $((256 << 10)) ] || { echo "path 2 carried too little"; return 1; }
	[ "$joins" -ge 3 ] || { echo "$joins joins: the subflow did not come back twice"; return 1; }
}

all_variants="tls12_aes128gcm tls12_aes256gcm tls12_chacha20 tls12_aes128ccm
	tls13_aes128gcm tls13_aes256gcm tls13_chacha20 tls13_aes128ccm"
for v in ${KT_MULTIPATH_VARIANTS:-$all_variants}; do
	case " $(echo $all_variants) " in
	*" $v "*) ;;
	*) tap_check "multipath variant $v exists" false; continue ;;
	esac
	bytes=${KT_MULTIPATH_BYTES:-256M}	# tool_bulk reads K/M/G
	start=$SECONDS
	tap_check "multipath $v: $bytes over two paths with subflow churn, byte-exact" \
		one_variant "$v" "$bytes"
	sed 's/^/# /' "$summary"
	echo "# multipath $v: $((SECONDS - start))s"
done
tap_done
