// SPDX-License-Identifier: MIT
// A minimal HTTP/1.1 workload: GET only, Content-Length bodies, keep-alive.
// Enough to measure a web-like request mix, not a general web server.
#pragma once

#include <string>
#include <vector>

#include "mptls/secure_stream.hpp"
#include "report.hpp"

namespace mptls::tool {

struct HttpServerSettings {
    std::string root;   // serve files below this directory; empty = 404 for all
    std::string marker; // sent as the X-Mptls-Marker header when set
};

bool is_http_request(const std::string& first_line);
// Serves requests until the client asks to close or sends close_notify.
// Sends a sha-256 Repr-Digest only to requests whose Want-Repr-Digest asks.
TransferResult serve_http(SecureStream& s, std::string first_line, const HttpServerSettings& cfg);

// GETs every path in order on one connection; the last request carries
// "Connection: close". With hash_bodies (--verify), each request asks for
// a Repr-Digest (RFC 9530) and each body's SHA-256 must match it; a missing
// or different digest throws Error.
TransferResult run_http_client(SecureStream& s, const std::string& host,
                               const std::vector<std::string>& paths, bool hash_bodies);

} // namespace mptls::tool
