// SPDX-License-Identifier: MIT
// The client's HTTP response framing (userspace/tool/http_response.cpp, on
// nodejs http-parser): Content-Length, chunked and close-delimited bodies,
// whatever the cut between reads, and the errors for what is incomplete
// or malformed.
#include <gtest/gtest.h>

#include <string>

#include "http_response.hpp"

namespace mptls::tool {
namespace {

struct Parsed {
    std::string body;
    std::size_t used = 0; // bytes of the input that belonged to the response
    bool complete = false;
    BodyFraming framing = BodyFraming::none;
    bool keep_alive = false;
    int status = 0;
    HttpHead head;
};

// Feeds `wire` in pieces of `step` bytes, then (eof) the end of the connection.
Parsed parse(const std::string& wire, std::size_t step, bool eof) {
    HttpResponseParser p;
    Parsed r;
    for (std::size_t off = 0; off < wire.size() && !p.complete(); off += step) {
        const std::string_view piece = std::string_view(wire).substr(off, step);
        r.used += p.feed(piece, [&](std::span<const char> b) { r.body.append(b.data(), b.size()); });
    }
    if (eof)
        p.end_of_stream();
    r.complete = p.complete();
    r.framing = p.framing();
    r.keep_alive = p.keep_alive();
    r.status = p.status();
    r.head = p.head();
    EXPECT_EQ(p.body_bytes(), r.body.size());
    return r;
}

std::string error_of(const std::string& wire, bool eof) {
    try {
        parse(wire, wire.size() + 1, eof);
    } catch (const HttpHeadError& e) {
        return e.what();
    }
    return "(no error)";
}

const std::string kChunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nRepr-Digest: sha-256=:x:\r\n\r\n"
                             "5\r\nhello\r\n1;ext=1\r\n,\r\n7\r\n world!\r\n0\r\nTrailer: x\r\n\r\n";

// Every cut of `wire` between reads gives the whole response and body.
void expect_at_every_cut(const std::string& wire, const std::string& body) {
    for (std::size_t step = 1; step <= wire.size(); ++step) {
        const Parsed r = parse(wire, step, false);
        EXPECT_TRUE(r.complete) << step;
        EXPECT_EQ(r.body, body) << step;
        EXPECT_EQ(r.used, wire.size()) << step;
    }
}

TEST(HttpResponse, ContentLengthAtEveryCut) {
    const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";
    expect_at_every_cut(wire, "hello world!");
    const Parsed r = parse(wire, 7, false);
    EXPECT_EQ(r.framing, BodyFraming::content_length);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.head.content_length, 12u);
}

TEST(HttpResponse, ChunkedAtEveryCutWithExtensionsAndTrailers) {
    expect_at_every_cut(kChunked, "hello, world!");
    const Parsed r = parse(kChunked, 3, false);
    EXPECT_EQ(r.framing, BodyFraming::chunked);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.head.repr_digest, "sha-256=:x:");
}

TEST(HttpResponse, CloseDelimitedEndsAtTheEndOfTheConnection) {
    const std::string wire = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of this, up to the close";
    const Parsed open = parse(wire, 5, false);
    EXPECT_FALSE(open.complete);
    const Parsed r = parse(wire, 5, true);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.body, "all of this, up to the close");
    EXPECT_EQ(r.framing, BodyFraming::until_close);
    EXPECT_FALSE(r.keep_alive);
}

TEST(HttpResponse, NoBodyResponsesAndConnectionClose) {
    const Parsed none = parse("HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 4, false);
    EXPECT_TRUE(none.complete);
    EXPECT_EQ(none.framing, BodyFraming::none);
    EXPECT_TRUE(none.keep_alive);
    const Parsed closing = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 4, false);
    EXPECT_TRUE(closing.complete);
    EXPECT_FALSE(closing.keep_alive);
    const Parsed old = parse("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 4, false);
    EXPECT_FALSE(old.keep_alive);
}

TEST(HttpResponse, BytesAfterTheResponseAreNotItsOwn) {
    const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const Parsed r = parse(first + "HTTP/1.1 200 OK\r\n", first.size() + 100, false);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.used, first.size());
    EXPECT_EQ(r.body, "ok");
}

TEST(HttpResponse, IncompleteAtTheEndIsAnError) {
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", true),
              "the server ended the connection after 5 bytes of a content-length body that was not complete");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true),
              "the server ended the connection after 5 bytes of a chunked body that was not complete");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Le", true),
              "the server ended the connection inside the response head");
    EXPECT_EQ(error_of("", true), "the server ended the connection without sending a response");
}

TEST(HttpResponse, MalformedResponsesNameTheCause) {
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false),
              "server sent a malformed HTTP response (invalid character in chunk size header)");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false),
              "server sent a malformed HTTP response (unexpected content-length header)");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false),
              "server sent a malformed HTTP response (invalid character in content-length header)");
    EXPECT_EQ(error_of("SSH-2.0-OpenSSH\r\n", false),
              "server sent a malformed HTTP response (invalid constant string)");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", false),
              "server sent a malformed HTTP response (invalid character in content-length header)");
    EXPECT_EQ(error_of("HTTP/1.0 1\r\n\r\n", false), "server sent the invalid status code 1");
    std::string many = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 101; ++i)
        many += "X-" + std::to_string(i) + ": y\r\n";
    EXPECT_EQ(error_of(many + "\r\n", false), "server sent more than 100 HTTP header lines");
}

} // namespace
} // namespace mptls::tool
