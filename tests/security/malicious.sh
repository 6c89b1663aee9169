#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A malicious peer sends malformed TLS records over a real connection through
# the router (tests/security/malpeer.py) to a receiver with TLS_RX: stock
# kTLS on TCP and mptls on MPTCP get the same bytes, with a blocking reader
# and with a poll()-driven non-blocking one.  TAP on stdout; the table goes
# to build/security/malicious-<kernel>.md.
#
#   client $ns_c (malicious peer) --- router $ns_r --- server $ns_s (victims)
#     ports 5201 tcp/block  5202 tcp/poll  5203 mptcp/block  5204 mptcp/poll
#
# Wanted, per case: the errno of kTLS on TCP (the reference) and the same on
# MPTCP; never a byte of the genuine record sent after the bad one.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/lib.sh"
. "$here/bed.sh"
bed_workdir secmal || exit 1
trap bed_cleanup EXIT
kernel=$(uname -r)
cases=${MPTLS_SECURITY_CASES:-control oversize zero_length wrong_version truncated_tag bad_outer_type bad_inner_type all_padding garbage_first}

modprobe tls || { echo "not ok 1 - modprobe tls"; exit 1; }
load_mptls || { echo "not ok 1 - load mptls.ko"; exit 1; }
(set -e; bed_up) || { echo "not ok 1 - the test bed comes up"; exit 1; }

port=5201
for proto in tcp mptcp; do
	for mode in block poll; do
		ip netns exec "$ns_s" "$py" "$here/malpeer.py" victim "$port" "$proto" "$mode" "$work/$proto-$mode.jsonl" &
		wait_file "$work/$proto-$mode.jsonl.ready" 20 || exit 1
		wait_listen "$ns_s" "$port" || exit 1
		on_c "$py" "$here/malpeer.py" attack "$S_ADDR" "$port" "$proto" "$work/$proto-$mode.jsonl" $cases
		port=$((port + 1))
	done
done
dec=$(mptls_stat TlsDecryptError "$ns_s") bad=$(mptls_stat TlsRxBadRecord "$ns_s")
echo "# server mptls_stat: TlsDecryptError $dec, TlsRxBadRecord $bad"

# The judgement and the table, from the four result files.
"$py" - "$work" "$out/malicious-$kernel.md" "$kernel" $cases <<'EOF'
import json, sys
work, table, kernel, cases = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
want = {'control': None, 'oversize': 'EMSGSIZE', 'zero_length': 'EBADMSG',
        'wrong_version': 'EINVAL', 'truncated_tag': 'EBADMSG', 'all_padding': 'EBADMSG',
        'garbage_first': 'EINVAL'}
res = {}
for p in ('tcp', 'mptcp'):
    for m in ('block', 'poll'):
        for line in open('%s/%s-%s.jsonl' % (work, p, m)):
            r = json.loads(line)
            res[(p, m, r['case'])] = r
def show(r):
    if r is None:
        return 'no result'
    s = r['errno'] or 'EOF'
    if r['data']:
        s += ' after %d bytes' % len(r['data'])
    s += ', then ' + (r['after_errno'] or ('%d bytes' % len(r['after']) if r['after'] else 'EOF'))
    return s
n = fails = 0
rows = []
for c in cases:
    for m in ('block', 'poll'):
        t, mp = res.get(('tcp', m, c)), res.get(('mptcp', m, c))
        rows.append('| %s | %s | %s | %s |' % (c, m, show(t), show(mp)))
        n += 1
        problems = []
        if mp is None or t is None:
            problems.append('missing result')
        else:
            if 'PLAINTEXT-AFTER' in mp['data'] + mp['after']:
                problems.append('MPTCP read plaintext sent after the bad record')
            if c in want and want[c] != mp['errno']:
                problems.append('MPTCP gave %s, want %s' % (mp['errno'], want[c]))
            if t['errno'] != mp['errno']:
                problems.append('TCP gave %s, MPTCP %s' % (t['errno'], mp['errno']))
            if c == 'control' and mp['data'] != 'FIRST-RECORD;':
                problems.append('genuine record not read: %r' % mp['data'])
        print(('not ok' if problems else 'ok'), n, '- malicious peer: %s, %s reader (MPTCP as kTLS/TCP)' % (c, m))
        fails += bool(problems)
        for p in problems:
            print('#  ', p)
with open(table, 'w') as f:
    f.write('<!-- written by tests/security/malicious.sh on %s (QEMU TCG guest) -->\n' % kernel)
    f.write('| case | reader | stock kTLS on TCP: first error, then | mptls on MPTCP: first error, then |\n|---|---|---|---|\n')
    f.write('\n'.join(rows) + '\n')
print('1..%d' % n)
sys.exit(1 if fails else 0)
EOF
rc=$?
sed 's/^/# /' "$out/malicious-$kernel.md"
exit $rc
