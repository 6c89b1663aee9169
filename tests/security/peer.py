#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The victims of tests/security: an MPTCP (or TCP) server and client, with
or without kernel TLS (TLS 1.3, AES-GCM-128, fixed test keys set with the
kTLS socket API: the attacker never learns them, and no handshake is needed
to show what the record layer does).

  server PORT TLS OUT.json [--transport mptcp|tcp]
        accepts one connection, reads until EOF or an error, writes
        {"data": <text received>, "errno": <name or null>, "bytes": n}
  client HOST PORT TLS GO [--transport ..] [--first TEXT] [--then BYTES]
        sends TEXT (default "GENUINE-1;"), waits for the file GO, then sends
        BYTES bytes of "SECRET-PLAINTEXT;" and closes
TLS is 0 or 1.
"""
import errno
import json
import os
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262
SOL_TLS = 282
TCP_ULP = 31
TLS_TX, TLS_RX = 1, 2
TLS_1_3_VERSION = 0x0304
TLS_CIPHER_AES_GCM_128 = 51

# client -> server direction keys (the only direction the tests encrypt)
KEY = bytes(range(16))
SALT = b'\xa0\xa1\xa2\xa3'
IV = b'\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7'


def crypto_info(seq=0):
    return struct.pack('=HH8s16s4s8s', TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
                       IV, KEY, SALT, seq.to_bytes(8, 'big'))


def tls_on(sock, direction):
    sock.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
    sock.setsockopt(SOL_TLS, direction, crypto_info())


def proto_of(argv):
    return socket.IPPROTO_TCP if '--transport' in argv and argv[argv.index('--transport') + 1] == 'tcp' \
        else IPPROTO_MPTCP


def opt(argv, name, default):
    return argv[argv.index(name) + 1] if name in argv else default


def server(argv):
    port, tls, out = int(argv[0]), argv[1] == '1', argv[2]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto_of(argv))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(4)
    ls.settimeout(60)
    c, _ = ls.accept()
    if tls:
        tls_on(c, TLS_RX)
    idle = float(opt(argv, '--idle', '30'))
    if '--poll' in argv:
        c.settimeout(idle)      # Python polls, then reads without blocking
    else:
        # a blocking reader; SO_RCVTIMEO ends an idle wait with EAGAIN
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                     struct.pack('ll', int(idle), int(idle % 1 * 1e6)))
    count_only = '--count' in argv
    data = b''
    total = 0
    err = None
    start = time.time()
    while True:
        try:
            b = c.recv(65536)
        except socket.timeout:
            err = 'timeout'
            break
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
            if err == 'EAGAIN':
                err = 'timeout'
            break
        if not b:
            break
        total += len(b)
        if not count_only:
            data += b
    with open(out + '.tmp', 'w') as f:
        json.dump({'data': data.decode('latin-1'), 'errno': err, 'bytes': total,
                   'seconds': round(time.time() - start, 3)}, f)
    os.rename(out + '.tmp', out)


def client(argv):
    host, port, tls, go = argv[0], int(argv[1]), argv[2] == '1', argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto_of(argv))
    s.connect((host, port))
    if tls:
        tls_on(s, TLS_TX)
    s.sendall(opt(argv, '--first', 'GENUINE-1;').encode())
    end = time.time() + 60
    while not os.path.exists(go) and time.time() < end:
        time.sleep(0.05)
    n = int(opt(argv, '--then', '0'))
    chunk = b'SECRET-PLAINTEXT;' * 240
    sent = 0
    while sent < n:
        try:
            s.sendall(chunk[:min(len(chunk), n - sent)])
        except OSError:
            break
        sent += len(chunk)
        if '--fast' not in argv:
            time.sleep(0.02)
    time.sleep(float(opt(argv, '--linger', '0.5')))
    s.close()


def accepter(argv):
    """Accepts and closes connections on PORT until killed."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto_of(argv))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', int(argv[0])))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        c.sendall(b'x')
        c.close()


def connects(argv):
    """N connections to HOST PORT one after another: the median time from
    connect() to the server's first byte, in ms, and the failures."""
    host, port, n = argv[0], int(argv[1]), int(argv[2])
    times, fails = [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto_of(argv))
        s.settimeout(10)
        t = time.time()
        try:
            s.connect((host, port))
            if s.recv(1) != b'x':
                raise OSError('no byte')
            times.append((time.time() - t) * 1000)
        except OSError:
            fails += 1
        s.close()
    times.sort()
    print(json.dumps({'median_ms': round(times[len(times) // 2], 2) if times else None,
                      'fails': fails, 'n': n}))


if __name__ == '__main__':
    {'server': server, 'client': client, 'accepter': accepter, 'connects': connects}[sys.argv[1]](sys.argv[2:])
