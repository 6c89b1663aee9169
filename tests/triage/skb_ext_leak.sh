#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Triage of make check-debug's one finding (kmemleak, kernel_transports):
# skb extensions allocated by MPTCP's sendmsg leak when a fallen-back MPTCP
# client with mptls sends to a TCP server *running stock tls.ko RX* on the
# same host.  Run under the debug kernel:
#   scripts/vm --kernel 6.12-debug --mem 3072 -- bash tests/triage/skb_ext_leak.sh
# Measured (2026-12-02, 6.12.118 debug guest, 8 x 4 MiB):
#   TCP server without kTLS: 0 objects;  with tls.ko RX: 594 objects.
# The sender is the same in both runs; only the receiver's record layer
# differs.  Over loopback the receiver gets the sender's skb, MPTCP
# extension included, so the extension is lost in tls.ko's receive path
# (tls_strp), never in mptls.  Between two hosts the extension never
# travels.  Kept for whoever takes this upstream.
km=/sys/kernel/debug/kmemleak
[ -d /sys/module/mptls ] || insmod "build/$(uname -r)/mptls.ko" || exit 1
for server in plain tls; do
	echo clear > $km
	python3 - "$server" <<'PY'
import socket, struct, threading, sys
server_tls = sys.argv[1] == "tls"
N = 8
# TLS 1.3 AES-128-GCM, fixed test key: struct tls12_crypto_info_aes_gcm_128
ci = struct.pack('<HH8s16s4s8s', 0x0304, 51, b'\1' * 8, b'\2' * 16, b'\3' * 4, b'\0' * 8)
SOL_TLS, TLS_TX, TLS_RX, TCP_ULP = 282, 1, 2, 31
def server(ls):
    for _ in range(N):
        c, _ = ls.accept()
        if server_tls:
            c.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
            c.setsockopt(SOL_TLS, TLS_RX, ci)
        while c.recv(65536):
            pass
        c.close()
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', 5999))
ls.listen(N)
t = threading.Thread(target=server, args=(ls,))
t.start()
buf = b'x' * 65536
for _ in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
    s.connect(('127.0.0.1', 5999))      # a TCP listener: MPTCP falls back
    s.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
    s.setsockopt(SOL_TLS, TLS_TX, ci)
    for _ in range(64):
        s.sendall(buf)
    s.close()
t.join()
PY
	sleep 2
	echo scan > $km; sleep 5; echo scan > $km
	echo "# mptls client -> TCP server ($server): $(grep -c '^unreferenced object' $km) leaked objects"
done
echo clear > $km
