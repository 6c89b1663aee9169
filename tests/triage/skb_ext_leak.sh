#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Triage of make check-debug's one finding (kmemleak, kernel_transports):
# MPTCP skb extensions leak when a fallen-back MPTCP client sends to a TCP
# server on the same host that runs stock tls.ko RX.  Run under the debug
# kernel:
#   scripts/vm --kernel 6.12-debug --mem 3072 -- bash tests/triage/skb_ext_leak.sh
# Two senders and two servers, 8 connections x 4 MiB each:
#   stock   plain MPTCP socket, mptls not loaded, replaying records that
#           tls.ko sealed on TCP: no mptls code runs anywhere;
#   mptls   MPTCP socket with mptls TX sealing the same records;
# and the servers: "plain" (no kTLS) and "tls" (tls.ko RX).
# Over loopback the receiver gets the sender's skb, MPTCP extension included;
# between two hosts the extension never travels.  A leak with the stock
# sender and tls.ko RX, and none with the plain server, puts the bug in
# tls.ko's receive path (tls_strp), not in mptls.
#
# Prints TAP.  tests/check-debug runs it first and, while it shows the stock
# leak, skips transports_test's fallback_mptcp_client_to_tcp_server cases
# (KT_SKIP): the day a kernel fixes the bug, test 1 here fails and says to
# drop the skip.
km=/sys/kernel/debug/kmemleak
[ -e $km ] || { echo "skb_ext_leak: needs a kmemleak kernel (6.12-debug)" >&2; exit 2; }
tap_n=0 status=0
tap() {	# tap ok|not-ok TEXT
	tap_n=$((tap_n + 1))
	if [ "$1" = ok ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; status=1; fi
}
leaks=
report_dir=build/test-logs/debug	# each case's kmemleak report, when there
run_case() {	# SENDER SERVER: sets $leaks, fails on a broken transfer
	echo clear > $km
	python3 - "$1" "$2" <<'PY'
import socket, struct, threading, sys
sender, server_kind = sys.argv[1], sys.argv[2]
N, CHUNKS, CHUNK = 8, 64, 65536
# TLS 1.3 AES-128-GCM, fixed test key: struct tls12_crypto_info_aes_gcm_128
ci = struct.pack('<HH8s16s4s8s', 0x0304, 51, b'\1' * 8, b'\2' * 16, b'\3' * 4, b'\0' * 8)
SOL_TLS, TLS_TX, TLS_RX, TCP_ULP = 282, 1, 2, 31
plaintext = b'x' * CHUNK

def send_sealed_by_kernel(s):
    """kTLS TX on s (tls.ko on TCP, mptls on MPTCP), then the plaintext."""
    s.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
    s.setsockopt(SOL_TLS, TLS_TX, ci)
    for _ in range(CHUNKS):
        s.sendall(plaintext)

def listener(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(N)
    return ls

def sealed_by_tls_ko():
    """The ciphertext of one connection, as stock tls.ko seals it on TCP."""
    ls = listener(5998)
    out = []
    def drain():
        c, _ = ls.accept()
        while (b := c.recv(1 << 20)):
            out.append(b)
        c.close()
    t = threading.Thread(target=drain)
    t.start()
    s = socket.create_connection(('127.0.0.1', 5998))
    send_sealed_by_kernel(s)
    s.close()
    t.join()
    ls.close()
    return b''.join(out)

wire = sealed_by_tls_ko() if sender == 'stock' else None
received = []
def serve(ls):
    for _ in range(N):
        c, _ = ls.accept()
        if server_kind == 'tls':
            c.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
            c.setsockopt(SOL_TLS, TLS_RX, ci)
        n = 0
        while (b := c.recv(65536)):
            n += len(b)
        received.append(n)
        c.close()
ls = listener(5999)
t = threading.Thread(target=serve, args=(ls,))
t.start()
for _ in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
    s.connect(('127.0.0.1', 5999))      # a TCP listener: MPTCP falls back
    if sender == 'stock':
        s.sendall(wire)
    else:
        send_sealed_by_kernel(s)
    s.close()
t.join()
# The tls server reads plaintext; the plain one reads whatever came.
want = N * CHUNKS * CHUNK
got = sum(received)
if server_kind == 'tls' and got != want:
    sys.exit(f"server decrypted {got} bytes, want {want}")
PY
	local rc=$?
	sleep 6
	echo scan > $km; sleep 5; echo scan > $km
	leaks=$(grep -c '^unreferenced object' $km)
	[ ! -d "$report_dir" ] || cp $km "$report_dir/skb_ext_leak-$1-$2.kmemleak"
	# the first one's backtrace, reworded: scripts/vm fails a run whose
	# console shows kmemleak's own "unreferenced object" line
	[ "$leaks" -eq 0 ] || grep -m1 -A16 '^unreferenced object' $km |
		sed 's/^unreferenced object/leaked object/; s/^/#   /'
	echo "# $1 sender -> TCP server ($2): exit $rc, $leaks leaked objects"
	echo clear > $km	# reported here; the suite's own scan must not count them again
	[ "$rc" -eq 0 ] || tap not-ok "$1 sender -> $2 server: the transfer failed"
}
# The plain servers first: a leak of the tls.ko cases that kmemleak reports
# late (a young object is not reported) must not land on them.
rmmod mptls 2>/dev/null
run_case stock plain
[ "$leaks" -eq 0 ] && tap ok "stock kernel, plain TCP server: nothing leaks" ||
	tap not-ok "stock kernel, plain TCP server: $leaks leaked objects"
insmod "build/$(uname -r)/mptls.ko" || { tap not-ok "insmod mptls"; echo "1..$tap_n"; exit 1; }
run_case mptls plain
[ "$leaks" -eq 0 ] && tap ok "mptls sender, plain TCP server: nothing leaks" ||
	tap not-ok "mptls sender, plain TCP server: $leaks leaked objects"
rmmod mptls
run_case stock tls
if [ "$leaks" -gt 0 ]; then
	tap ok "stock kernel, no mptls loaded: tls.ko RX leaks $leaks MPTCP skb extensions of a fallen-back sender (the reason check-debug skips fallback_mptcp_client_to_tcp_server)"
else
	tap not-ok "stock tls.ko RX no longer leaks on this kernel: drop KT_SKIP in tests/check-debug"
fi
insmod "build/$(uname -r)/mptls.ko" || { tap not-ok "insmod mptls"; echo "1..$tap_n"; exit 1; }
run_case mptls tls
echo "# mptls sender, tls.ko server: $leaks leaked objects (the stock bug above)"
# What the tls.ko cases still let go of later (sockets closed by MPTCP's
# worker) is the same stock leak: reported here, not to the suite's scan.
sleep 10
echo scan > $km
echo "# reported late by the tls.ko cases: $(grep -c '^unreferenced object' $km) objects"
echo clear > $km
rmmod mptls
echo "1..$tap_n"
exit $status
