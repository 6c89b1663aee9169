// SPDX-License-Identifier: MIT
// libFuzzer target for the HTTP head parsers of the mptls tool
// (userspace/tool/http.cpp): the request line and the field lines both
// sides read (the client's response framing is http_response_fuzz). The
// first byte picks the side; the rest is what a peer sends, cut into lines the way
// SecureStream::read_line does ('\n' ends a line, one '\r' before it is
// dropped, lines over 8192 bytes and heads over 100 field lines refused).
// Invariants, on any input:
//   - the only exception is HttpHeadError (the server answers 400);
//   - a Content-Length that parsed prints and parses back to itself;
//   - a request's method and target hold no space;
//   - the target as the server's JSON report writes it has no control byte
//     and is well-formed UTF-8 (escaping it again changes only '\\' and '"');
//   - the digest fields that reach the RFC 9530 parsers behave as in
//     repr_digest_fuzz (a digest found prints and parses back to itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "fuzz_check.hpp"
#include "http_digest.hpp"
#include "json.hpp"

using namespace mptls::tool;

namespace {

constexpr std::size_t kMaxLine = 8192;
constexpr std::size_t kMaxHeaders = 100;


} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const bool request = (data[0] & 1) != 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

    std::vector<std::string> lines;
    while (!in.empty() && lines.size() <= kMaxHeaders) {
        const std::size_t nl = in.find('\n');
        if (nl == std::string_view::npos)
            break; // the peer closed inside a line: an Error before any parsing
        std::string line(in.substr(0, nl));
        in.remove_prefix(nl + 1);
        if (line.size() > kMaxLine)
            return 0; // read_line refuses it
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            break;
        lines.push_back(std::move(line));
    }
    if (lines.empty() || lines.size() > kMaxHeaders)
        return 0;

    if (request) {
        (void)is_http_request(lines[0]);
        const RequestLine r = parse_request_line(lines[0]);
        check(r.method.find(' ') == std::string::npos);
        check(r.target.find(' ') == std::string::npos);
        check(r.method.size() + r.target.size() <= lines[0].size());
        const std::string json = json_escape(r.target);
        std::string again_want;
        for (const char c : json) {
            check(static_cast<unsigned char>(c) >= 0x20);
            if (c == '\\' || c == '"')
                again_want += '\\';
            again_want += c;
        }
        check(json_escape(json) == again_want);
    }

    const std::vector<std::string> fields(lines.begin() + 1, lines.end());
    HttpHead h;
    try {
        h = parse_header_fields(fields);
    } catch (const HttpHeadError&) {
        return 0;
    }
    if (h.content_length)
        check(parse_content_length(std::to_string(*h.content_length)) == *h.content_length);
    if (h.repr_digest) {
        if (const auto d = parse_repr_digest_sha256(*h.repr_digest))
            check(parse_repr_digest_sha256(repr_digest_sha256(*d)) == d);
    }
    if (h.want_repr_digest)
        (void)wants_sha256(*h.want_repr_digest);
    return 0;
}
