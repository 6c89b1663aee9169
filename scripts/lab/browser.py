#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/lab/browser.py: the lab's HTTP/1.1 clients in Python.

  browser.py site DIR --marker TEXT [--bulk BYTES]
      writes the browser workload's pages under DIR/b/ (and DIR/bulk.bin)
  browser.py visit --transport T --tls V [--keylog F] [--ca F]
      the browser-like workload: three page views as a browser makes them
  browser.py get --transport T --tls V --paths /a,/b [--keylog F] [--ca F]
      GETs on one keep-alive connection (the no-TLS scenario's page and bulk)

One JSON object on stdout.  The mptls client opens one connection and
cannot reset it, so the browser's client side is here: OpenSSL through
Python's ssl module (user-mode TLS), or no TLS at all; the server side is the
mptls server of the scenario (kernel or user TLS) or plainhttp.py.

A visit, as a browser with an empty cache makes it:
  1. page A: the HTML on one connection, then its stylesheets, scripts,
     fonts and images over up to six parallel keep-alive connections (one
     per server port, 443-448, as Chrome's and Firefox's six per host);
  2. page B (the user clicks a link): its HTML and images, the shared
     objects now cached; when 40 % of its bytes have arrived the user
     navigates away, and every connection with a response in flight is
     closed with SO_LINGER {1, 0}, which sends RST (a browser abandons
     such a connection rather than drain it); idle ones stay open;
  3. page C: as B, to the end, reopening the connections B reset;
  4. the tab closes: every open connection ends with close_notify and FIN.
"""

import argparse
import json
import os
import queue
import socket
import ssl
import struct
import sys
import threading
import time

IPPROTO_MPTCP = 262
SERVER = "10.0.0.1"
PORTS = list(range(443, 449))
ABORT_AT = 0.4  # share of page B's bytes after which the user navigates away

# Object sizes of a page, in KiB, shaped on the HTTP Archive's median desktop
# page (HTML, a few stylesheets and fonts, scripts of a few KiB to a few
# hundred, many small images and a few large ones), scaled down so that a
# visit takes seconds, not minutes, on a 2 Mbit/s 3G link under emulation.
SHARED = {"style1.css": 8, "style2.css": 24, "style3.css": 40, "app1.js": 6,
          "app2.js": 18, "app3.js": 40, "app4.js": 90, "font1.woff2": 22, "font2.woff2": 34}
IMAGES = [2, 4, 6, 10, 14, 20, 30, 45, 70]
HTML = 32


def page(name):
    """(html path, [object paths]) of page NAME ("a", "b", "c")."""
    imgs = ["/b/%s-img%d.jpg" % (name, i) for i in range(len(IMAGES))]
    return "/b/%s.html" % name, imgs


def site(args):
    """Writes every file of the three pages, laced with the plaintext marker."""
    d = os.path.join(args.dir, "b")
    os.makedirs(d, exist_ok=True)
    files = {n: kib for n, kib in SHARED.items()}
    for p in "abc":
        files["%s.html" % p] = HTML
        for i, kib in enumerate(IMAGES):
            files["%s-img%d.jpg" % (p, i)] = kib
    for n, kib in files.items():
        fill(os.path.join(d, n), kib * 1024, args.marker)
    if args.bulk:
        fill(os.path.join(args.dir, "bulk.bin"), args.bulk, args.marker)


def fill(path, size, marker):
    """Half marker text (so that plaintext would show in a capture), half random."""
    line = ("%s <p>lab object</p>\n" % marker).encode()
    half = size // 2
    with open(path, "wb") as f:
        f.write((line * (half // len(line) + 1))[:half] + os.urandom(size - half))


class Conn:
    """One keep-alive HTTP/1.1 connection, over TLS or not."""

    def __init__(self, args, port):
        t0 = time.monotonic()
        proto = IPPROTO_MPTCP if args.transport == "mptcp" else socket.IPPROTO_TCP
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        raw.settimeout(60)
        raw.connect((SERVER, port))
        self.sock = raw
        self.tls_version = None
        if args.tls != "none":
            self.sock = args.ctx.wrap_socket(raw, server_hostname=args.servername)
            self.tls_version = self.sock.version()
        self.handshake_ms = (time.monotonic() - t0) * 1000
        self.buf = b""

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        return data

    def get(self, path, on_bytes=None):
        """GET PATH; returns the body length.  on_bytes(n) after each read
        may return True to abandon the response (the caller resets)."""
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: server\r\nUser-Agent: lab-browser\r\n\r\n"
                           % path).encode())
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 200 " not in lines[0] + " ":
            raise ConnectionError("%s: %s" % (path, lines[0]))
        length = next(int(v) for k, _, v in (x.partition(":") for x in lines[1:])
                      if k.strip().lower() == "content-length")
        got = 0
        while True:
            take = min(len(self.buf), length - got)
            got += take
            self.buf = self.buf[take:]
            if on_bytes and take and on_bytes(take):
                return None
            if got >= length:
                return got
            self.buf += self._recv()

    def reset(self):
        """Close with SO_LINGER {1, 0}: RST, no close_notify, no FIN."""
        # Python's SSLSocket.close() sends no close_notify: only the RST goes out.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        """An orderly close: close_notify, then FIN."""
        try:
            if hasattr(self.sock, "unwrap"):
                self.sock = self.sock.unwrap()
        except (OSError, ssl.SSLError):
            pass
        self.sock.close()


def context(args):
    if args.tls == "none":
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
    ctx.check_hostname = False  # the lab's certificate names 10.0.0.1; the CA check stays
    if args.tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.keylog:
        ctx.keylog_filename = args.keylog
    return ctx


class Browser:
    def __init__(self, args):
        self.args = args
        self.conns = [None] * len(PORTS)
        self.lock = threading.Lock()
        self.stats = {"connections_opened": 0, "connections_reset": 0, "objects": 0,
                      "objects_abandoned": 0, "bytes_received": 0, "handshake_ms": [],
                      "tls_version": None}

    def conn(self, i):
        if self.conns[i] is None:
            c = Conn(self.args, PORTS[i])
            with self.lock:
                self.stats["connections_opened"] += 1
                self.stats["handshake_ms"].append(c.handshake_ms)
                self.stats["tls_version"] = c.tls_version
            self.conns[i] = c
        return self.conns[i]

    def view(self, name, objects, abort=False):
        """One page view; returns its duration in ms."""
        t0 = time.monotonic()
        html, imgs = page(name)
        paths = [html] + objects + imgs
        total = sum(self.size(p) for p in paths)
        state = {"got": 0, "abort": False}

        def on_bytes(n):
            with self.lock:
                state["got"] += n
                self.stats["bytes_received"] += n
                if abort and state["got"] >= ABORT_AT * total:
                    state["abort"] = True
                return state["abort"]

        self.fetch(0, html, on_bytes)  # the HTML first: it names the rest
        work = queue.Queue()
        for p in objects + imgs:
            work.put(p)

        def worker(i):
            while not state["abort"]:
                try:
                    p = work.get_nowait()
                except queue.Empty:
                    return
                self.fetch(i, p, on_bytes)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(PORTS))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return (time.monotonic() - t0) * 1000

    def fetch(self, i, path, on_bytes):
        c = self.conn(i)
        if c.get(path, on_bytes) is None:
            c.reset()
            self.conns[i] = None
            with self.lock:
                self.stats["connections_reset"] += 1
                self.stats["objects_abandoned"] += 1
        else:
            with self.lock:
                self.stats["objects"] += 1

    def size(self, path):
        name = path.rsplit("/", 1)[1]
        if name in SHARED:
            return SHARED[name] * 1024
        if name.endswith(".html"):
            return HTML * 1024
        return IMAGES[int(name.split("img")[1].split(".")[0])] * 1024

    def close(self):
        for i, c in enumerate(self.conns):
            if c:
                c.close()
                self.conns[i] = None


def visit(args):
    b = Browser(args)
    t0 = time.monotonic()
    shared = ["/b/%s" % n for n in SHARED]
    views = [b.view("a", shared), b.view("b", [], abort=True), b.view("c", [])]
    b.close()
    out = dict(b.stats)
    out.update({"workload": "browser", "view_ms": views,
                "duration_ms": (time.monotonic() - t0) * 1000})
    return out


def get(args):
    c = Conn(args, PORTS[0])
    t0 = time.monotonic()
    got = sum(c.get(p) for p in args.paths.split(","))
    dt = time.monotonic() - t0
    c.close()
    return {"workload": "get", "objects": len(args.paths.split(",")), "bytes_received": got,
            "handshake_ms": c.handshake_ms, "duration_ms": dt * 1000,
            "goodput_mbps": got * 8 / dt / 1e6 if dt > 0 else None,
            "tls_version": c.tls_version, "verify": None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["site", "visit", "get"])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--marker", default="")
    ap.add_argument("--bulk", type=int, default=0)
    ap.add_argument("--transport", choices=["mptcp", "tcp"], default="mptcp")
    ap.add_argument("--tls", choices=["default", "1.2", "none"], default="default")
    ap.add_argument("--ca")
    ap.add_argument("--servername", default="server")
    ap.add_argument("--keylog")
    ap.add_argument("--paths", default="/")
    args = ap.parse_args()
    if args.mode == "site":
        site(args)
        return 0
    args.ctx = context(args)
    try:
        out = visit(args) if args.mode == "visit" else get(args)
    except (OSError, ssl.SSLError, ConnectionError) as e:
        print(json.dumps({"error": {"message": str(e), "kind": type(e).__name__}}))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
