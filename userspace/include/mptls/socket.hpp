// SPDX-License-Identifier: MIT
// Stream sockets over MPTCP (IPPROTO_MPTCP) with a reported fallback to TCP.
#pragma once

#include <string>
#include <utility>

#include "mptls/address.hpp"

namespace mptls {

// Owns one file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept;

private:
    int fd_ = -1;
};

enum class Transport { mptcp, tcp };
const char* transport_name(Transport t);

struct Socket {
    Fd fd;
    bool is_mptcp = false; // socket was created with IPPROTO_MPTCP
    std::string note;      // why we are on plain TCP although MPTCP was asked for
};

// socket(IPPROTO_MPTCP) fails with one of these when MPTCP is disabled
// (net.mptcp.enabled=0) or not built into the kernel.
bool mptcp_unavailable_errno(int err);

struct Listener {
    Socket sock;
    std::string bound; // the address actually bound, port resolved
};

Listener listen_on(const HostPort& where, Transport transport);
// Blocks for the next connection; the accepted socket inherits the protocol.
Socket accept_connection(const Listener& listener);
// The same on any listening socket (is_mptcp from its SO_PROTOCOL).
Socket accept_connection(int listen_fd);
// Tries every address `to` resolves to, in order.
Socket connect_to(const HostPort& to, Transport transport);

} // namespace mptls
