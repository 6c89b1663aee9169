#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Concurrency stress (tests/kernel/tool_stress.c): threads share kTLS-over-
# MPTCP sockets between two namespaces joined by two paths (two_paths.sh) and
# race send/recv (blocking, MSG_DONTWAIT, MSG_PEEK, MSG_MORE, MSG_WAITALL),
# shutdown, close, peer resets, poll/epoll, SOL_TLS and socket options
# (invalid ones too), splice, sendfile and signals, while the second path's
# subflow is removed, re-added and its link flapped (the middle half of the
# run; the first quarter has both paths steady, the last one path only).
# Then, each its own TAP line:
#   no call outlived its bound (the tool's watchdog names the call and its
#       kernel stack), every checked stream intact (prefix; exact if orderly);
#   no task left in D state, no "blocked for more than" in dmesg (this script
#       sets hung_task_timeout_secs to 10);
#   mptls_stat TlsCurrTxSw/TlsCurrRxSw/TlsCurrUlp back to 0 in both
#       namespaces, the module's refcount back to 0 and rmmod works.
# The seed is printed first; MPTLS_STRESS_SEED replays it, MPTLS_STRESS_SECONDS
# sets the length (default 60; the soak runs it longer).
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"
. "$top/tests/kernel/two_paths.sh"
export KT_PATH2=subflow

secs=${MPTLS_STRESS_SECONDS:-60}
seed=${MPTLS_STRESS_SEED:-$(( $(date +%s%N) / 1000 ))}
echo "# stress seed $seed (replay: MPTLS_STRESS_SEED=$seed MPTLS_STRESS_SECONDS=$secs)"

kt_build || { tap_done; exit 1; }
out=$(mktemp)
churn_pid=
stress_pid=
cleanup() {
	[ -z "$churn_pid" ] || kill "$churn_pid" 2>/dev/null
	[ -z "$stress_pid" ] || kill -KILL "$stress_pid" 2>/dev/null
	two_paths_down
	rm -f "$out"
}
trap cleanup EXIT
load_mptls
modprobe -q aesni_intel 2>/dev/null
# a task stuck in the module for 10 s is reported (and fails the VM run)
[ -w /proc/sys/kernel/hung_task_timeout_secs ] && echo 10 > /proc/sys/kernel/hung_task_timeout_secs
echo "mptls-stress: start, seed $seed" > /dev/kmsg
tap_check "two namespaces with two paths" two_paths_up || { tap_done; exit 1; }
joins0=$(mib "$kt_ns_s" MPTcpExtMPJoinAckRx)

# The middle half: the second path's subflow goes and comes, its link flaps;
# the last quarter runs on the first path alone.
churn() {
	local i=0 stop
	sleep $((secs / 4))
	stop=$((SECONDS + secs / 2))
	while [ $SECONDS -lt $stop ]; do
		case $((i % 4)) in
		0) second_path_del ;;
		1) second_path_add ;;
		2) ip -n "$kt_ns_c" link set c2 down; sleep 0.5; ip -n "$kt_ns_c" link set c2 up ;;
		3) second_path_flush; second_path_add ;;
		esac
		i=$((i + 1))
		sleep 1
	done
	second_path_flush
} >/dev/null 2>&1

churn &
churn_pid=$!
start=$SECONDS
"$kt_bin/tool_stress" -s "$seed" -d "$secs" -c "/run/netns/$kt_ns_c" -S "/run/netns/$kt_ns_s" \
	-a 10.1.1.2 > "$out" 2>&1 &
stress_pid=$!
# The tool bounds itself (its watchdog); a process that cannot even die is
# in the kernel for good: give up on it after a while and say so.
limit=$((secs + 120))
while kill -0 "$stress_pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$limit" ]; do
	sleep 1
done
if kill -0 "$stress_pid" 2>/dev/null; then
	echo "# tool_stress still running after ${limit}s: SIGKILL"
	kill -KILL "$stress_pid"
	for _ in $(seq 30); do kill -0 "$stress_pid" 2>/dev/null || break; sleep 1; done
fi
if kill -0 "$stress_pid" 2>/dev/null; then
	rc=unkillable
else
	wait "$stress_pid"
	rc=$?
fi
stress_pid=
kill "$churn_pid" 2>/dev/null
wait "$churn_pid" 2>/dev/null
churn_pid=
cat "$out"
echo "# tool_stress: exit $rc after $((SECONDS - start))s"
tap_check "stress seed $seed, ${secs}s: no call outlived its bound, checked streams intact" \
	test "$rc" = 0

joins=$(( $(mib "$kt_ns_s" MPTcpExtMPJoinAckRx) - joins0 ))
echo "# $joins subflow joins on path 2"
tap_check "stress: subflows joined on the second path" test "$joins" -gt 0

# d_tasks: every task in state D, with its kernel stack; fails if any.
d_tasks() {
	local f s pid found=1
	for f in /proc/[0-9]*/task/[0-9]*/stat; do
		s=$(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f1)
		[ "$s" = D ] || continue
		pid=${f%/stat}
		echo "D: $(cat "$pid/comm" 2>/dev/null) (${pid#/proc/}) in $(cat "$pid/wchan" 2>/dev/null)"
		cat "$pid/stack" 2>/dev/null | head -n 12
		found=0
	done
	[ $found -eq 1 ]
}
no_d_tasks() { d_tasks >/dev/null; }
d_ok() { wait_until 15 no_d_tasks || { d_tasks; return 1; }; }
tap_check "stress: no task left in D state" d_ok

hung_ok() {
	local lines
	lines=$(dmesg | sed -n "/mptls-stress: start, seed $seed/,\$p" |
		grep -E "blocked for more than|Workqueue:|\[mptls\]" | sed 's/^\[ *[0-9.]*\] *//' | sort | uniq -c | sort -rn | head -n 20)
	[ -z "$lines" ] || { echo "$lines"; return 1; }
}
tap_check "stress: no hung task in dmesg" hung_ok

# stat NS NAME: a /proc/net/mptls_stat counter in NS.
stat_in() { ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/mptls_stat; }
stats_zero() {
	local ns k n=0
	for ns in "$kt_ns_c" "$kt_ns_s"; do
		for k in TlsCurrTxSw TlsCurrRxSw TlsCurrUlp; do
			n=$((n + $(stat_in "$ns" "$k")))
		done
	done
	[ "$n" -eq 0 ]
}
stats_ok() {
	wait_until 30 stats_zero && return 0
	for ns in "$kt_ns_c" "$kt_ns_s"; do
		ip netns exec "$ns" cat /proc/net/mptls_stat | sed "s/^/$ns: /"
	done
	return 1
}
tap_check "stress: mptls_stat TlsCurrTxSw/TlsCurrRxSw/TlsCurrUlp back to 0 in both namespaces" stats_ok
for ns in "$kt_ns_c" "$kt_ns_s"; do
	ip netns exec "$ns" cat /proc/net/mptls_stat | awk -v ns="$ns" '$2 != 0 { print "# " ns ": " $0 }'
done

two_paths_down
refcnt_zero() { [ "$(cat /sys/module/mptls/refcnt)" = 0 ]; }
refs_ok() {
	wait_until 30 refcnt_zero || { echo "refcnt $(cat /sys/module/mptls/refcnt)"; return 1; }
	rmmod mptls
}
tap_check "stress: module refcount back to 0, rmmod works" refs_ok
tap_done
