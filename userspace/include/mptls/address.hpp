// SPDX-License-Identifier: MIT
// "host:port" and "[v6]:port" parsing and printing.
#pragma once

#include <string>
#include <string_view>
#include <sys/socket.h>

namespace mptls {

struct HostPort {
    std::string host; // without brackets; may be a name, IPv4 or IPv6 literal
    std::string port;
};

// Throws Error naming the expected form when text is not HOST:PORT.
HostPort parse_host_port(std::string_view text);

// True if host is an IPv4 or IPv6 literal (then no SNI, verify the IP SAN).
bool is_ip_literal(const std::string& host);

// "10.0.0.1:443" or "[::1]:443".
std::string format_address(const sockaddr* sa, socklen_t len);
std::string local_address(int fd);
std::string peer_address(int fd);

} // namespace mptls
