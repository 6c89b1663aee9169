// SPDX-License-Identifier: MIT
// One HTTP/1.x response as the client reads it, framed as RFC 9112
// section 6.3 says: by Content-Length, by the chunked transfer coding, or
// by the end of the connection (on TLS: close_notify; an end without it is
// truncation, which SecureStream reports before this parser sees it). The
// parsing is nodejs http-parser's (Debian's libhttp-parser); the fields the
// tool uses go through parse_header_fields() as before.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "http.hpp"

struct http_parser; // <http_parser.h>, kept out of the tool's headers

namespace mptls::tool {

enum class BodyFraming { none, content_length, chunked, until_close };
const char* framing_name(BodyFraming f); // "none", "content-length", "chunked", "close"

class HttpResponseParser {
public:
    HttpResponseParser();
    ~HttpResponseParser();
    HttpResponseParser(const HttpResponseParser&) = delete;
    HttpResponseParser& operator=(const HttpResponseParser&) = delete;

    // Parses received bytes. Body bytes are handed to on_body (which may
    // throw) as they are found. Returns how many bytes belong to this
    // response: fewer than data.size() once it is complete. Throws
    // HttpHeadError for a malformed response.
    template <typename OnBody>
    std::size_t feed(std::span<const char> data, OnBody&& on_body) {
        const std::size_t used = parse(data);
        const std::vector<std::span<const char>> pieces = std::exchange(body_pieces_, {});
        for (const std::span<const char> piece : pieces)
            on_body(piece);
        return used;
    }
    // The connection ended cleanly (close_notify): completes a body that
    // runs to the end; throws HttpHeadError if the response is incomplete.
    void end_of_stream();

    bool complete() const noexcept { return complete_; }
    bool started() const noexcept { return started_; }
    int status() const noexcept { return status_; }
    BodyFraming framing() const noexcept { return framing_; }
    // Valid once complete(): the fields the tool reads.
    const HttpHead& head() const noexcept { return head_; }
    std::uint64_t body_bytes() const noexcept { return body_bytes_; }
    // Whether the connection may carry another request (HTTP/1.1 without
    // "Connection: close", or 1.0 with keep-alive, and not until_close).
    bool keep_alive() const noexcept { return keep_alive_; }

private:
    struct Callbacks;
    std::size_t parse(std::span<const char> data);
    [[noreturn]] void fail();
    void end_field_line();

    std::unique_ptr<::http_parser> parser_;
    std::vector<std::string> lines_; // "Name: value" as received
    std::string field_, value_;
    bool in_value_ = false;
    std::vector<std::span<const char>> body_pieces_; // of the current feed()
    std::string callback_error_;                     // set by a callback that refused
    HttpHead head_;
    BodyFraming framing_ = BodyFraming::none;
    std::uint64_t body_bytes_ = 0;
    int status_ = 0;
    bool started_ = false, headers_done_ = false, complete_ = false, keep_alive_ = false;
};

} // namespace mptls::tool
