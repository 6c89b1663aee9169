// SPDX-License-Identifier: MIT
#include "mptls/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "mptls/error.hpp"

namespace mptls {

HostPort parse_host_port(std::string_view text) {
    const std::string form = "expected HOST:PORT or [IPv6]:PORT, got \"" + std::string(text) + "\"";
    HostPort out;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw Error(form);
        out.host = std::string(text.substr(1, close - 1));
        rest = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            throw Error(form + " (write IPv6 addresses in brackets)");
        out.host = std::string(text.substr(0, colon));
        rest = text.substr(colon + 1);
    }
    if (out.host.empty() || rest.empty() || rest.size() > 5 ||
        rest.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(rest)) > 65535)
        throw Error(form);
    out.port = std::string(rest);
    return out;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string format_address(const sockaddr* sa, socklen_t len) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "?";
}

std::string local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return "?";
    return format_address(reinterpret_cast<sockaddr*>(&ss), len);
}

std::string peer_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return "?";
    return format_address(reinterpret_cast<sockaddr*>(&ss), len);
}

} // namespace mptls
