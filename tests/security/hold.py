#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hold.py BYTES STOPFILE: a TLS-over-MPTCP pair on loopback (kernel TLS
both ways, fixed keys), BYTES each way checked by SHA-256; prints "ready"
with the connection still open, closes it when STOPFILE exists."""
import hashlib
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (keys, tls())

n, stop = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, soak.IPPROTO_MPTCP)
ls.bind(('127.0.0.1', 0))
ls.listen(1)
cl = socket.socket(socket.AF_INET, socket.SOCK_STREAM, soak.IPPROTO_MPTCP)
cl.connect(ls.getsockname())
sv, _ = ls.accept()
soak.tls(cl, True)
soak.tls(sv, False)
a, b = os.urandom(n), os.urandom(n)


def recv_all(s, k):
    buf = bytearray()
    while len(buf) < k:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return bytes(buf)


got = {}
t = threading.Thread(target=lambda: got.update(sv=recv_all(sv, n)))
t.start()
cl.sendall(a)
t.join()
t = threading.Thread(target=lambda: got.update(cl=recv_all(cl, n)))
t.start()
sv.sendall(b)
t.join()
if hashlib.sha256(got['sv']).digest() != hashlib.sha256(a).digest() or got['cl'] != b:
    sys.exit('data mismatch')
print('ready', flush=True)
while not os.path.exists(stop):
    time.sleep(0.05)
cl.close()
sv.close()
ls.close()
