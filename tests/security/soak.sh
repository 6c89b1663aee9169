#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Soak: many concurrent TLS-over-MPTCP connections (kernel TLS both ways,
# tests/security/soak.py) while subflows come and go and links flap, then
# everything must be back where it started.  Runs in the VM, mptls loaded.
#
#   client $ns_c  c1 ---- r1 [router $ns_r] r2 ---- s1  server $ns_s
#                 c2 ---- r4   (path 2)              s1 also 10.7.2.2: the
#   server's "signal" endpoint, announced (ADD_ADDR) and withdrawn (RM_ADDR);
#   the client routes 10.7.2.2 over c2, so the joins take path 2, whose link
#   also flaps.
#   netem loss bursts on c1 and c2.
#
# MPTLS_SOAK_SECONDS (default 60), MPTLS_SOAK_CONNS (200), MPTLS_SOAK_BYTES
# (per connection and direction, 65536).  TAP on stdout, numbers in
# build/security/soak-<kernel>.md.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/lib.sh"
. "$here/bed.sh"
bed_workdir secsoak || exit 1
secs=${MPTLS_SOAK_SECONDS:-60}
conns=${MPTLS_SOAK_CONNS:-200}
bytes=${MPTLS_SOAK_BYTES:-65536}
kernel=$(uname -r)
chaos_pid=
cleanup() {
	[ -z "$chaos_pid" ] || kill "$chaos_pid" 2>/dev/null
	bed_cleanup
}
trap cleanup EXIT

# meminfo KEY: a /proc/meminfo value in kB.
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# slab_objs CACHE: active objects of a slab cache (0 if it is not there).
slab_objs() { awk -v c="$1" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }' /proc/slabinfo; }
# SLUB counts objects in its per-CPU and partial slabs as active; shrinking
# the caches first makes the counts mean "objects in use" (a leak stays).
shrink_slabs() {
	local c
	for c in /sys/kernel/slab/*/shrink; do echo 1 > "$c"; done 2>/dev/null
	return 0
}
snapshot() {
	shrink_slabs
	echo "Slab=$(meminfo Slab) SUnreclaim=$(meminfo SUnreclaim) MPTCP=$(slab_objs MPTCP) TCP=$(slab_objs TCP) mptls_refcnt=$(cat /sys/module/mptls/refcnt)"
}

load_mptls || { echo "not ok 1 - load mptls.ko"; exit 1; }
modprobe sch_netem 2>/dev/null
# a warm-up in a throwaway bed loads what the first use loads (crypto,
# netem, slab caches), so the baseline is not taken before it
(set -e; bed_up) || { echo "not ok 1 - the test bed comes up"; exit 1; }
on_c tc qdisc add dev c1 root netem delay 1ms || true
bed_kill; bed_down
sync; echo 3 > /proc/sys/vm/drop_caches
sleep 2
before=$(snapshot)
echo "# before: $before"

(set -e; bed_up) || { echo "not ok 1 - the test bed comes up"; exit 1; }
for d in c1 c2; do on_c tc qdisc add dev "$d" root netem delay 2ms; done
on_s ip addr add 10.7.2.2/24 dev s1
on_c ip route add 10.7.2.2 via 10.7.4.254 dev c2
on_s ip mptcp endpoint add 10.7.2.2 dev s1 id 2 signal

# The chaos: path 2 comes and goes (endpoint removal closes its subflows,
# a new endpoint opens them on every connection), its link flaps, and both
# paths get loss bursts.  Path 1 never goes down for long: connections live.
chaos() {
	local i=0
	while :; do
		i=$((i + 1))
		case $((i % 4)) in
		0) on_s ip mptcp endpoint delete id 2 ;;
		1) on_s ip mptcp endpoint add 10.7.2.2 dev s1 id 2 signal ;;
		2) on_c ip link set c2 down; sleep 0.5; on_c ip link set c2 up ;;
		3) on_c tc qdisc change dev c1 root netem delay 2ms loss 15%
		   on_c tc qdisc change dev c2 root netem delay 2ms loss 30%
		   sleep 1
		   on_c tc qdisc change dev c1 root netem delay 2ms
		   on_c tc qdisc change dev c2 root netem delay 2ms ;;
		esac
		sleep 1.5
	done >/dev/null 2>&1
}

ip netns exec "$ns_s" "$py" "$here/soak.py" server 5301 "$work/server.json" "$bytes" &
wait_file "$work/server.json.ready" 30 && wait_listen "$ns_s" 5301 || exit 1
chaos &
chaos_pid=$!
start=$SECONDS
on_c "$py" "$here/soak.py" client "$S_ADDR" 5301 "$conns" "$bytes" "$secs" "$work/client.json" | sed 's/^/# client: /'
kill "$chaos_pid" 2>/dev/null; wait "$chaos_pid" 2>/dev/null; chaos_pid=
touch "$work/server.json.stop"
wait_file "$work/server.json" 120
elapsed=$((SECONDS - start))
joins=$(mib "$ns_s" MPTcpExtMPJoinAckRx)

# every connection closed: mptls holds nothing in either namespace
settle_stats() {
	local tries=300 n
	while [ $tries -gt 0 ]; do
		n=0
		for ns in "$ns_c" "$ns_s"; do
			for k in TlsCurrTxSw TlsCurrRxSw TlsCurrUlp; do
				n=$((n + $(mptls_stat "$k" "$ns")))
			done
		done
		[ $n -eq 0 ] && return 0
		sleep 0.1; tries=$((tries - 1))
	done
	for ns in "$ns_c" "$ns_s"; do ip netns exec "$ns" cat /proc/net/mptls_stat; done
	return 1
}
tap_check "soak: mptls_stat TlsCurrTxSw/TlsCurrRxSw/TlsCurrUlp back to 0 in both namespaces" settle_stats
for ns in "$ns_c" "$ns_s"; do ip netns exec "$ns" cat /proc/net/mptls_stat | sed "s/^/# $ns: /"; done

data_ok() {
	"$py" - "$work/client.json" "$work/server.json" "$conns" <<'EOF'
import json, sys
c, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
for name, d in (('client', c), ('server', s)):
    if d['mismatch'] or d['errors']:
        bad.append('%s: %d mismatches, errors %s' % (name, d['mismatch'], d['errors'][:5]))
if c['conns'] != s['conns']:
    bad.append('client finished %d connections, server %d' % (c['conns'], s['conns']))
if c.get('peak', 0) < int(sys.argv[3]):
    bad.append('only %d connections at once' % c.get('peak', 0))
sys.exit('; '.join(bad) if bad else 0)
EOF
}
tap_check "soak: every connection's data matches its hash, both directions, $conns at once" data_ok

# Memory: the namespaces go (their time-wait sockets with them), then slab
# must come back near the baseline (MPTCP frees asynchronously: poll).
bed_kill; bed_down
mem_ok() {
	local tries=60 b a
	b=$(echo "$before" | sed 's/.*SUnreclaim=\([0-9]*\).*/\1/')
	while [ $tries -gt 0 ]; do
		# measured as the baseline was: caches dropped, slabs shrunk
		sync; echo 3 > /proc/sys/vm/drop_caches
		shrink_slabs
		a=$(meminfo SUnreclaim)
		# tolerance: 2 MiB or 5 % of the baseline
		if [ "$a" -le $((b + 2048)) ] || [ "$a" -le $((b * 105 / 100)) ]; then
			return 0
		fi
		sleep 1; tries=$((tries - 1))
	done
	echo "SUnreclaim ${b} kB before, ${a} kB after"
	return 1
}
# MPTCP socks go last (their close timers): give them time, for the numbers
settle_slab() {
	local tries=$((secs >= 120 ? 60 : 5)) b
	b=$(echo "$before" | sed 's/.*MPTCP=\([0-9]*\).*/\1/')
	while [ $tries -gt 0 ] && [ "$(slab_objs MPTCP)" -gt $((b + 32)) ]; do
		sleep 1; tries=$((tries - 1))
	done
}
tap_check "soak: unreclaimable slab back to baseline (tolerance 2 MiB or 5%)" mem_ok
settle_slab
after=$(snapshot)
echo "# after:  $after"
refs_ok() { [ "$(cat /sys/module/mptls/refcnt)" = 0 ] && rmmod mptls && insmod "$MPTLS_KO"; }
tap_check "soak: module refcount 0 afterwards, rmmod and insmod work" refs_ok

"$py" - "$work/client.json" "$work/server.json" "$out/soak-$kernel.md" "$kernel" "$elapsed" "$joins" "$before" "$after" <<'EOF'
import json, sys
c, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
with open(sys.argv[3], 'w') as f:
    f.write('<!-- written by tests/security/soak.sh on %s (QEMU TCG guest) -->\n' % sys.argv[4])
    f.write('| connections (at once, total) | bytes each way | duration | joins accepted | mismatches | errors | memory before | memory after |\n|---|---|---|---|---|---|---|---|\n')
    f.write('| %d, %d | %d | %s s | %s | %d | %d | %s | %s |\n' % (
        c.get('peak', 0), c['conns'], c['bytes_out'], sys.argv[5], sys.argv[6],
        c['mismatch'] + s['mismatch'], len(c['errors']) + len(s['errors']), sys.argv[7], sys.argv[8]))
EOF
sed 's/^/# /' "$out/soak-$kernel.md"
tap_done
