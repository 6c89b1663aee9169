// SPDX-License-Identifier: MIT
// Fetches one URL path over kernel TLS on an MPTCP socket and writes the
// HTTP response (head and body) to stdout. After connect_ktls() returns,
// the process holds a socket and, for TLS 1.3, the two traffic secrets
// that let ktls_recv(c, ...) follow a server's KeyUpdate: the kernel
// encrypts and decrypts.
//
//   ktls_fetch HOST PORT [PATH] [--ca FILE] [--insecure] [--tcp]
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <vector>

#include <mptls/error.hpp>
#include <mptls/ktls_connect.hpp>

namespace {

void send_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0)
            throw mptls::Error::from_errno("send failed", errno);
        off += static_cast<std::size_t>(n);
    }
}

int usage() {
    std::fprintf(stderr, "usage: ktls_fetch HOST PORT [PATH] [--ca FILE] [--insecure] [--tcp]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> pos;
    mptls::KtlsOptions opts;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--ca" && i + 1 < argc)
            opts.ca_file = argv[++i];
        else if (a == "--insecure")
            opts.verify_peer = false;
        else if (a == "--tcp")
            opts.transport = mptls::Transport::tcp;
        else if (a.starts_with("--"))
            return usage();
        else
            pos.push_back(a);
    }
    if (pos.size() < 2 || pos.size() > 3)
        return usage();
    const std::string& host = pos[0];
    const std::string path = pos.size() == 3 ? pos[2] : "/";

    try {
        mptls::KtlsConnection c = mptls::connect_ktls(host, pos[1], opts);
        if (!c.socket.note.empty())
            std::fprintf(stderr, "ktls_fetch: %s\n", c.socket.note.c_str());
        std::fprintf(stderr, "ktls_fetch: %s %s over %s, records in the kernel\n",
                     c.info.tls_version.c_str(), c.info.cipher_suite.c_str(),
                     c.socket.is_mptcp ? "MPTCP" : "TCP");

        send_all(c.fd(), "GET " + path + " HTTP/1.1\r\nHost: " + host +
                             "\r\nConnection: close\r\n\r\n");
        std::vector<char> buf(mptls::kMaxRecordPlaintext);
        while (const std::size_t n = mptls::ktls_recv(c, buf))
            std::fwrite(buf.data(), 1, n, stdout);
        mptls::ktls_send_close_notify(c.fd());
        return 0;
    } catch (const mptls::Error& e) {
        std::fprintf(stderr, "ktls_fetch: %s\n", e.what());
        return 1;
    }
}
