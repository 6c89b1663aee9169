#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Many concurrent TLS-over-MPTCP connections with kernel TLS both ways.

  server PORT OUT.json BYTES      (until OUT.json.stop exists and all are done)
  client HOST PORT CONNS BYTES SECONDS OUT.json

The client opens CONNS connections at once, in rounds, until SECONDS have
passed (at least one round).  Each connection first sends its id (4 bytes,
inside TLS), then both ends send BYTES bytes of a stream seeded by that id
and check the SHA-256 of what they receive against the same stream.  Keys
are fixed test keys, one per direction (no handshake).  One process per side,
non-blocking sockets under one selector.  OUT.json: connections, bytes each
way, hash mismatches, errors.
"""
import errno
import hashlib
import json
import random
import selectors
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262
SOL_TLS, TCP_ULP, TLS_TX, TLS_RX = 282, 31, 1, 2


def info(direction, seq=0):
    key = bytes((i * 7 + direction) & 0xff for i in range(16))
    return struct.pack('=HH8s16s4s8s', 0x0304, 51, bytes([direction] * 8), key,
                       bytes([0x40 + direction] * 4), seq.to_bytes(8, 'big'))


def tls(sock, client):
    sock.setsockopt(socket.SOL_TCP, TCP_ULP, b'tls')
    sock.setsockopt(SOL_TLS, TLS_TX, info(1 if client else 2))
    sock.setsockopt(SOL_TLS, TLS_RX, info(2 if client else 1))


def stream(cid, n, server):
    return random.Random(cid * 2 + (1 if server else 0)).randbytes(n)


class Conn:
    def __init__(self, sock, cid, nbytes, server):
        self.sock, self.cid, self.n, self.server = sock, cid, nbytes, server
        self.out = b'' if cid is None else self.prime()
        self.off = 0
        self.got = 0
        self.h = hashlib.sha256()
        self.head = b''
        self.eof = False
        self.err = None

    def prime(self):
        data = stream(self.cid, self.n, self.server)
        self.want = hashlib.sha256(stream(self.cid, self.n, not self.server)).digest()
        return data if self.server else struct.pack('!I', self.cid) + data

    def on_read(self):
        b = self.sock.recv(65536)
        if not b:
            self.eof = True
            return
        if self.cid is None:                  # server: the id comes first
            self.head += b
            if len(self.head) < 4:
                return
            self.cid = struct.unpack('!I', self.head[:4])[0]
            b = self.head[4:]
            self.out = self.prime()
        self.got += len(b)
        self.h.update(b)

    def on_write(self):
        if self.off < len(self.out):
            self.off += self.sock.send(self.out[self.off:self.off + 65536])
            if self.off == len(self.out):
                self.sock.shutdown(socket.SHUT_WR)

    def done(self):
        return self.eof and self.off == len(self.out) and self.cid is not None

    def ok(self):
        return self.got == self.n and self.h.digest() == self.want


def step(sel, conns, c, ev, stats):
    """Moves connection c on by what the selector reported (ev)."""
    try:
        if ev & selectors.EVENT_READ:
            c.on_read()
        if ev & selectors.EVENT_WRITE:
            c.on_write()
    except BlockingIOError:
        pass
    except OSError as e:
        c.err = errno.errorcode.get(e.errno, str(e.errno))
    if c.done() or c.err:
        finish(sel, conns, c, stats)
    elif c.off == len(c.out) and c.cid is not None:
        sel.modify(c.sock, selectors.EVENT_READ, c)


def pump(sel, conns, deadline, stats):
    while conns and time.time() < deadline:
        for key, ev in sel.select(1.0):
            step(sel, conns, key.data, ev, stats)


def finish(sel, conns, c, stats):
    sel.unregister(c.sock)
    conns.remove(c)
    stats['conns'] += 1
    stats['bytes_in'] += c.got
    stats['bytes_out'] += c.off
    if c.err:
        stats['errors'].append('%s: %s' % (c.cid, c.err))
    elif not c.ok():
        stats['mismatch'] += 1
    c.sock.close()


def new_stats():
    return {'conns': 0, 'bytes_in': 0, 'bytes_out': 0, 'mismatch': 0, 'errors': []}


def server(argv):
    port, out = int(argv[0]), argv[1]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    conns, stats = [], new_stats()
    nbytes = int(argv[2])
    start = time.time()
    open(out + '.ready', 'w').close()
    stop = out + '.stop'
    import os
    while not (os.path.exists(stop) and not conns):
        for key, ev in sel.select(0.5):
            if key.data is None:
                try:
                    s, _ = ls.accept()
                except BlockingIOError:
                    continue
                tls(s, False)
                s.setblocking(False)
                c = Conn(s, None, nbytes, True)
                conns.append(c)
                sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
                continue
            step(sel, conns, key.data, ev, stats)
    stats['seconds'] = round(time.time() - start, 1)
    stats['peak'] = None
    with open(out, 'w') as f:
        json.dump(stats, f)


def client(argv):
    host, port, nconn, nbytes, secs, out = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), float(argv[4]), argv[5]
    stats = new_stats()
    stats['rounds'] = 0
    start = time.time()
    cid = 0
    while stats['rounds'] == 0 or time.time() - start < secs:
        sel = selectors.DefaultSelector()
        conns = []
        for _ in range(nconn):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
            try:
                s.connect((host, port))
                tls(s, True)
            except OSError as e:
                stats['errors'].append('connect %d: %s' % (cid, e))
                s.close()
                continue
            s.setblocking(False)
            c = Conn(s, cid, nbytes, False)
            cid += 1
            conns.append(c)
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
        stats['peak'] = max(stats.get('peak', 0), len(conns))
        pump(sel, conns, time.time() + 300, stats)
        for c in list(conns):
            stats['errors'].append('%d: unfinished (%d/%d in, %d/%d out)' % (c.cid, c.got, c.n, c.off, len(c.out)))
            finish(sel, conns, c, stats)
        stats['rounds'] += 1
    stats['seconds'] = round(time.time() - start, 1)
    with open(out, 'w') as f:
        json.dump(stats, f)
    print(json.dumps({k: v if k != 'errors' else v[:5] for k, v in stats.items()}))


if __name__ == '__main__':
    {'server': server, 'client': client}[sys.argv[1]](sys.argv[2:])
