// SPDX-License-Identifier: MIT
#include "http_response.hpp"

#include <http_parser.h>

namespace mptls::tool {
namespace {

constexpr std::size_t kMaxFieldLines = 100;

} // namespace

// http-parser calls back into C++ through these; none of them throws (the
// parser is C): a refusal is noted in callback_error_ and returns non-zero.
struct HttpResponseParser::Callbacks {
    static HttpResponseParser& self(http_parser* p) { return *static_cast<HttpResponseParser*>(p->data); }

    static int on_header_field(http_parser* p, const char* at, std::size_t len) {
        HttpResponseParser& r = self(p);
        if (r.in_value_)
            r.end_field_line();
        if (r.lines_.size() >= kMaxFieldLines) {
            r.callback_error_ = "server sent more than " + std::to_string(kMaxFieldLines) + " HTTP header lines";
            return 1;
        }
        r.field_.append(at, len);
        return 0;
    }
    static int on_header_value(http_parser* p, const char* at, std::size_t len) {
        HttpResponseParser& r = self(p);
        r.in_value_ = true;
        r.value_.append(at, len);
        return 0;
    }
    static int on_headers_complete(http_parser* p) {
        HttpResponseParser& r = self(p);
        if (r.in_value_)
            r.end_field_line();
        r.status_ = static_cast<int>(p->status_code);
        if (r.status_ < 100) { // http-parser takes one to three digits
            r.callback_error_ = "server sent the invalid status code " + std::to_string(r.status_);
            return -1;
        }
        try {
            r.head_ = parse_header_fields(r.lines_);
        } catch (const std::exception& e) {
            r.callback_error_ = e.what();
            return -1; // as http-parser documents: an error, not "skip the body"
        }
        const bool no_body = r.status_ / 100 == 1 || r.status_ == 204 || r.status_ == 304;
        if (no_body)
            r.framing_ = BodyFraming::none;
        else if ((p->flags & F_CHUNKED) != 0)
            r.framing_ = BodyFraming::chunked;
        else if ((p->flags & F_CONTENTLENGTH) != 0)
            r.framing_ = BodyFraming::content_length;
        else
            r.framing_ = BodyFraming::until_close;
        r.headers_done_ = true;
        return 0;
    }
    static int on_body(http_parser* p, const char* at, std::size_t len) {
        HttpResponseParser& r = self(p);
        r.body_pieces_.emplace_back(at, len);
        r.body_bytes_ += len;
        return 0;
    }
    static int on_message_complete(http_parser* p) {
        HttpResponseParser& r = self(p);
        r.complete_ = true;
        r.keep_alive_ = r.framing_ != BodyFraming::until_close && http_should_keep_alive(p) != 0;
        http_parser_pause(p, 1); // the rest of the input is not ours
        return 0;
    }

    static constexpr http_parser_settings kSettings{
        .on_message_begin = nullptr,
        .on_url = nullptr,
        .on_status = nullptr,
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
        .on_chunk_header = nullptr,
        .on_chunk_complete = nullptr,
    };
};

const char* framing_name(BodyFraming f) {
    switch (f) {
    case BodyFraming::none: return "none";
    case BodyFraming::content_length: return "content-length";
    case BodyFraming::chunked: return "chunked";
    case BodyFraming::until_close: return "close";
    }
    return "none";
}

HttpResponseParser::HttpResponseParser() : parser_(std::make_unique<http_parser>()) {
    http_parser_init(parser_.get(), HTTP_RESPONSE);
    parser_->data = this;
}

HttpResponseParser::~HttpResponseParser() = default;

void HttpResponseParser::end_field_line() {
    lines_.push_back(field_ + ": " + value_);
    field_.clear();
    value_.clear();
    in_value_ = false;
}

void HttpResponseParser::fail() {
    if (!callback_error_.empty())
        throw HttpHeadError(callback_error_);
    const auto err = HTTP_PARSER_ERRNO(parser_.get());
    if (err == HPE_INVALID_EOF_STATE)
        throw HttpHeadError(headers_done_
                                ? "the server ended the connection after " + std::to_string(body_bytes_) +
                                      " bytes of a " + framing_name(framing_) +
                                      " body that was not complete"
                                : std::string("the server ended the connection inside the response head"));
    throw HttpHeadError(std::string("server sent a malformed HTTP response (") +
                        http_errno_description(err) + ")");
}

std::size_t HttpResponseParser::parse(std::span<const char> data) {
    if (complete_ || data.empty())
        return 0;
    started_ = true;
    const std::size_t used = http_parser_execute(parser_.get(), &Callbacks::kSettings, data.data(), data.size());
    const auto err = HTTP_PARSER_ERRNO(parser_.get());
    if (err != HPE_OK && err != HPE_PAUSED)
        fail();
    if (parser_->upgrade != 0)
        throw HttpHeadError("server switched protocols (Upgrade), which this client does not speak");
    return used;
}

void HttpResponseParser::end_of_stream() {
    if (complete_)
        return;
    if (!started_)
        throw HttpHeadError("the server ended the connection without sending a response");
    http_parser_execute(parser_.get(), &Callbacks::kSettings, nullptr, 0);
    const auto err = HTTP_PARSER_ERRNO(parser_.get());
    if (err != HPE_OK && err != HPE_PAUSED)
        fail();
    if (!complete_)
        throw HttpHeadError("the server ended the connection before the response was complete");
}

} // namespace mptls::tool
