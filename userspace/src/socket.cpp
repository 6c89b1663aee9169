// SPDX-License-Identifier: MIT
#include "mptls/socket.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mptls/error.hpp"

namespace mptls {

void Fd::reset() noexcept {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

const char* transport_name(Transport t) { return t == Transport::mptcp ? "mptcp" : "tcp"; }

bool mptcp_unavailable_errno(int err) {
    return err == ENOPROTOOPT || err == EPROTONOSUPPORT || err == EINVAL;
}

namespace {

Socket open_socket(int family, Transport transport) {
    Socket s;
    if (transport == Transport::mptcp) {
        int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
        if (fd >= 0) {
            s.fd = Fd(fd);
            s.is_mptcp = true;
            return s;
        }
        if (!mptcp_unavailable_errno(errno))
            throw Error::from_errno("cannot create an MPTCP socket", errno);
        s.note = std::string("MPTCP is unavailable on this host (") + std::strerror(errno) +
                 "), using TCP; enable it with sysctl net.mptcp.enabled=1";
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        throw Error::from_errno("cannot create a TCP socket", errno);
    s.fd = Fd(fd);
    return s;
}

struct AddrinfoDeleter {
    void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

AddrinfoPtr resolve(const HostPort& hp, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    const char* host = hp.host == "*" ? nullptr : hp.host.c_str();
    if (int rc = getaddrinfo(host, hp.port.c_str(), &hints, &res); rc != 0)
        throw Error("cannot resolve " + hp.host + ": " + gai_strerror(rc) +
                    "; check the name or use an IP address");
    return AddrinfoPtr(res);
}

// Our request/response exchanges (bulk request line, digests, HTTP head
// then body) are small writes answered by the peer: with Nagle they stall
// on delayed ACKs for ~40 ms each. Bulk data goes in large writes anyway.
// Best effort: a kernel whose MPTCP lacks TCP_NODELAY just keeps Nagle.
void disable_nagle(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

} // namespace

Listener listen_on(const HostPort& where, Transport transport) {
    AddrinfoPtr ai = resolve(where, true);
    Socket s = open_socket(ai->ai_family, transport);
    int one = 1;
    setsockopt(s.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.fd.get(), ai->ai_addr, ai->ai_addrlen) != 0)
        throw Error::from_errno("cannot bind " + where.host + ":" + where.port +
                                    " (is another server running there?)", errno);
    // SOMAXCONN (capped by net.core.somaxconn): clients beyond --max-conns
    // wait here, and a burst of them should not see refused connections.
    if (::listen(s.fd.get(), SOMAXCONN) != 0)
        throw Error::from_errno("cannot listen on " + where.host + ":" + where.port, errno);
    Listener l{.sock = std::move(s), .bound = {}};
    l.bound = local_address(l.sock.fd.get());
    return l;
}

namespace {

Fd accept_fd(int listen_fd) {
    for (;;) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            disable_nagle(fd);
            return Fd(fd);
        }
        if (errno != EINTR && errno != ECONNABORTED)
            throw Error::from_errno("accept failed", errno);
    }
}

} // namespace

Socket accept_connection(const Listener& listener) {
    return Socket{.fd = accept_fd(listener.sock.fd.get()), .is_mptcp = listener.sock.is_mptcp,
                  .note = listener.sock.note};
}

Socket accept_connection(int listen_fd) {
    int protocol = 0;
    socklen_t len = sizeof protocol;
    if (getsockopt(listen_fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
        throw Error::from_errno("not a listening socket", errno);
    return Socket{.fd = accept_fd(listen_fd), .is_mptcp = protocol == IPPROTO_MPTCP, .note = {}};
}

Socket connect_to(const HostPort& to, Transport transport) {
    AddrinfoPtr ai = resolve(to, false);
    int last_errno = 0;
    for (addrinfo* p = ai.get(); p != nullptr; p = p->ai_next) {
        Socket s = open_socket(p->ai_family, transport);
        if (::connect(s.fd.get(), p->ai_addr, p->ai_addrlen) == 0) {
            disable_nagle(s.fd.get());
            return s;
        }
        last_errno = errno;
    }
    throw Error::from_errno("cannot connect to " + to.host + ":" + to.port +
                                " (is the server running and reachable?)", last_errno);
}

} // namespace mptls
