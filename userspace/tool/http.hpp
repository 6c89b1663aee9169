// SPDX-License-Identifier: MIT
// A minimal HTTP/1.1 workload: GET only, keep-alive. The server sends
// Content-Length bodies; the client reads any framing RFC 9112 allows
// (Content-Length, chunked, to the end of the connection; http_response.hpp).
// Enough to measure a web-like request mix, not a general web server.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mptls/error.hpp"
#include "mptls/secure_stream.hpp"
#include "report.hpp"

namespace mptls::tool {

struct HttpServerSettings {
    std::string root;   // serve files below this directory; empty = 404 for all
    std::string marker; // sent as the X-Mptls-Marker header when set
};

// The pure parsers behind both ends (fuzzed in tests/fuzz).

// A malformed HTTP head from the peer. The server answers 400 and ends the
// connection; the client gives up on the response.
class HttpHeadError : public Error {
public:
    using Error::Error;
};

// What the tool reads from a request or response head.
struct HttpHead {
    std::optional<std::uint64_t> content_length;
    bool connection_close = false;
    // Field values as sent; repeated lines are joined with ", " (RFC 9110 5.3).
    std::optional<std::string> repr_digest;
    std::optional<std::string> want_repr_digest;
};

// A Content-Length field value (already without surrounding whitespace):
// 1*DIGIT, or a list of identical ones (RFC 9110 section 8.6). Throws
// HttpHeadError for anything else: a sign, inner spaces, garbage, a value
// past 2^64 - 1, different values.
std::uint64_t parse_content_length(std::string_view value);

// The field lines of a head, without the first line and the empty line
// that ends it. Lines without a colon are ignored. Throws HttpHeadError for
// a bad Content-Length, conflicting Content-Length lines, or whitespace in
// a field name.
HttpHead parse_header_fields(std::span<const std::string> lines);

// "GET /path HTTP/1.1" -> {"GET", "/path"}; missing parts are empty.
struct RequestLine {
    std::string method;
    std::string target;
};
RequestLine parse_request_line(std::string_view line);

bool is_http_request(const std::string& first_line);
// Serves requests until the client asks to close or sends close_notify.
// Sends a sha-256 Repr-Digest only to requests whose Want-Repr-Digest asks.
TransferResult serve_http(SecureStream& s, std::string first_line, const HttpServerSettings& cfg);

// GETs every path in order on one connection; the last request carries
// "Connection: close". With hash_bodies (--check-data), each request asks for
// a Repr-Digest (RFC 9530) and each body's SHA-256 must match it; a missing
// or different digest throws Error.
TransferResult run_http_client(SecureStream& s, const std::string& host,
                               const std::vector<std::string>& paths, bool hash_bodies);

} // namespace mptls::tool
