#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/lab/plainhttp.py ROOT READY_FILE: HTTP/1.1 without TLS over MPTCP on the
lab's six server ports (443-448), keep-alive, files from ROOT: the server
of the no-TLS scenario, so that the TLS layer's cost is measured against
the same workloads on the same paths.  Runs until killed; writes
READY_FILE once listening."""

import functools
import http.server
import os
import socket
import socketserver
import sys
import threading

IPPROTO_MPTCP = 262


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the mptls server

    def log_message(self, *args):
        pass


class MPTCPServer(http.server.ThreadingHTTPServer):
    def __init__(self, addr, handler):
        super().__init__(addr, handler, bind_and_activate=False)
        self.socket.close()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        self.server_bind()
        self.server_activate()

    def server_bind(self):
        # HTTPServer's own looks the host name up (getfqdn), which waits for
        # a DNS timeout in a namespace without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    root = os.path.abspath(sys.argv[1])
    handler = functools.partial(Handler, directory=root)
    servers = [MPTCPServer(("10.0.0.1", port), handler) for port in range(443, 449)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(sys.argv[2], "w") as f:
        f.write("ready\n")
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
