// SPDX-License-Identifier: MIT
// The tool's parsers of peer input, as pure functions: HTTP heads
// (Content-Length above all, RFC 9110 section 8.6), status and request
// lines, and the bulk request and reply lines. Anything malformed is an
// error sentence or nullopt, never a wrapped number or a std exception.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bulk.hpp"
#include "commands.hpp"
#include "http.hpp"

namespace mptls::tool {
namespace {

std::string content_length_error(const std::string& value) {
    try {
        parse_content_length(value);
    } catch (const HttpHeadError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string head_error(const std::vector<std::string>& lines) {
    try {
        parse_header_fields(lines);
    } catch (const HttpHeadError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ContentLength, DecimalValues) {
    EXPECT_EQ(parse_content_length("0"), 0u);
    EXPECT_EQ(parse_content_length("42"), 42u);
    EXPECT_EQ(parse_content_length("007"), 7u);
    EXPECT_EQ(parse_content_length("18446744073709551615"), UINT64_MAX);
}

TEST(ContentLength, AListOfIdenticalValuesIsOneValue) {
    EXPECT_EQ(parse_content_length("42, 42"), 42u);
    EXPECT_EQ(parse_content_length("42,42 ,\t42"), 42u);
}

TEST(ContentLength, GarbageIsAnErrorNamingTheValue) {
    for (const char* bad : {"", "abc", "12abc", "0x10", "1e3", "4 2", "4\t2", " ", ",", "42,", ",42", "42,,42", "\xff"}) {
        EXPECT_EQ(content_length_error(bad).find("peer sent Content-Length \""), 0u) << bad;
        EXPECT_NE(content_length_error(bad).find("which is not a decimal number of bytes"), std::string::npos)
            << bad;
    }
    EXPECT_NE(content_length_error(std::string("4\0" "2", 3)), "(no error)");
    EXPECT_EQ(content_length_error("abc"),
              "peer sent Content-Length \"abc\", which is not a decimal number of bytes (RFC 9110 section 8.6)");
}

TEST(ContentLength, SignsAreRejectedNotWrapped) {
    // std::stoull("-1") is 18446744073709551615: the old parser's bug.
    EXPECT_EQ(content_length_error("-1"),
              "peer sent Content-Length \"-1\", which is not a decimal number of bytes (RFC 9110 section 8.6)");
    EXPECT_NE(content_length_error("+5"), "(no error)");
    EXPECT_NE(content_length_error("-0"), "(no error)");
}

TEST(ContentLength, OverflowIsAnError) {
    EXPECT_EQ(content_length_error("18446744073709551616"),
              "peer sent Content-Length \"18446744073709551616\", past the largest length this tool "
              "handles (18446744073709551615)");
    EXPECT_NE(content_length_error(std::string(5000, '9')).find("past the largest length"), std::string::npos);
    // The message quotes at most 40 characters of what the peer sent.
    EXPECT_LT(content_length_error(std::string(5000, '9')).size(), 200u);
}

TEST(ContentLength, ConflictingValuesAreAnError) {
    EXPECT_EQ(content_length_error("5, 6"), "peer sent conflicting Content-Length values (5 and 6)");
    EXPECT_EQ(head_error({"Content-Length: 5", "content-length: 6"}),
              "peer sent conflicting Content-Length values (5 and 6)");
    EXPECT_EQ(parse_header_fields(std::vector<std::string>{"Content-Length: 5", "CONTENT-LENGTH:5 "}).content_length,
              5u);
}

TEST(HttpHead, FieldsAsTheToolReadsThem) {
    const HttpHead h = parse_header_fields(std::vector<std::string>{
        "Host: x", "Content-Length:  12 ", "Connection: Close", "not a field line",
        "Repr-Digest: sha-256=:a:", "repr-digest: sha-512=:b:", "Want-Repr-Digest: sha-256=10"});
    EXPECT_EQ(h.content_length, 12u);
    EXPECT_TRUE(h.connection_close);
    EXPECT_EQ(h.repr_digest, "sha-256=:a:, sha-512=:b:");
    EXPECT_EQ(h.want_repr_digest, "sha-256=10");
    EXPECT_FALSE(parse_header_fields(std::vector<std::string>{}).content_length);
}

TEST(HttpHead, WhitespaceBeforeTheColonIsRejected) {
    // RFC 9112 section 5.1: otherwise "Content-Length : 5" would be ignored.
    EXPECT_EQ(head_error({"Content-Length : 5"}), "peer sent a malformed HTTP header field name \"Content-Length \"");
    EXPECT_NE(head_error({": 5"}), "(no error)");
    EXPECT_NE(head_error({" Host: x"}), "(no error)");
}

TEST(HttpHead, RequestLines) {
    const RequestLine r = parse_request_line("GET /a?b HTTP/1.1");
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/a?b");
    EXPECT_EQ(parse_request_line("GET").method, "GET");
    EXPECT_EQ(parse_request_line("GET").target, "");
    EXPECT_EQ(parse_request_line("GET /x").target, "");
    EXPECT_EQ(parse_request_line("").method, "");
}

TEST(BulkLines, RequestsAreExact) {
    const auto r = parse_bulk_request("MPTLS-BULK/1 down 3145728 verify");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->direction, Direction::down);
    EXPECT_EQ(r->bytes, 3145728u);
    EXPECT_TRUE(r->verify);
    EXPECT_EQ(parse_bulk_request("MPTLS-BULK/1 up 18446744073709551615 noverify")->bytes, UINT64_MAX);
    for (const char* bad :
         {"", "MPTLS-BULK/1", "MPTLS-BULK/1 up 5", "MPTLS-BULK/1 up -1 verify", "MPTLS-BULK/1 up +1 verify",
          "MPTLS-BULK/1 up 18446744073709551616 verify", "MPTLS-BULK/1 up 5 verify extra",
          "MPTLS-BULK/1 up 5 verify ", "MPTLS-BULK/1  up 5 verify", "MPTLS-BULK/1 sideways 5 verify",
          "MPTLS-BULK/1 up 5 maybe", "MPTLS-BULK/2 up 5 verify", "MPTLS-BULK/1 up 0x5 verify"})
        EXPECT_FALSE(parse_bulk_request(bad)) << bad;
}

TEST(BulkLines, Replies) {
    EXPECT_EQ(parse_bulk_reply("OK 0"), 0u);
    EXPECT_EQ(parse_bulk_reply("OK 1048576"), 1048576u);
    for (const char* bad : {"", "OK", "OK ", "OK -1", "OK 1 ", "OK 99999999999999999999", "ERR no", "ok 5"})
        EXPECT_FALSE(parse_bulk_reply(bad)) << bad;
}

TEST(ErrorLines, ControlCharactersFromPeersAreNotPrinted) {
    EXPECT_EQ(one_line("peer sent \"a\rb\x1b[2Jc\x7f\""), "peer sent \"a?b?[2Jc?\"");
    EXPECT_EQ(one_line("caf\xc3\xa9 ok"), "caf\xc3\xa9 ok"); // UTF-8 stays
}

} // namespace
} // namespace mptls::tool
