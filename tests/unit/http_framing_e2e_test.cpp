// SPDX-License-Identifier: MIT
// The mptls client reads every body framing RFC 9112 section 6.3 allows,
// from a canned TLS server (OpenSSL records over TCP on loopback):
// chunked, Content-Length and close-delimited, on one keep-alive
// connection; a close-delimited body must end with close_notify, and an
// end without it is reported as truncation.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "canned_http_server.hpp"
#include "mptls/test_pki.hpp"
#include "tool_process.hpp"

namespace mptls {
namespace {

namespace fs = std::filesystem;
using namespace mptls::test;
using End = CannedHttpServer::End;

// "hello, world!" and its RFC 9530 sha-256 digest.
constexpr const char* kDigest = "Repr-Digest: sha-256=:aOZWslHmfoNYvvhIOrDVHGYZ8+ehqfDnWDjUH/No9yg=:\r\n";
const std::string kChunked = std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n") + kDigest +
                             "\r\n5\r\nhello\r\n8\r\n, world!\r\n0\r\n\r\n";
const std::string kLength = std::string("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n") + kDigest + "\r\nhello, world!";
const std::string kUntilClose = std::string("HTTP/1.1 200 OK\r\n") + kDigest + "\r\nhello, world!";

class HttpFraming : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("mptls-http-framing-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        pki_ = generate_test_pki(dir_ / "pki", {});
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    int get(const std::string& addr, const std::string& paths) {
        return wait_exit(spawn_tool({"client", "-c", addr, "--servername", "localhost", "--ca", pki_.ca_cert.string(),
                                     "-o", "user", "-T", "tcp", "-g", paths, "-C", "-j"},
                                    dir_ / "out", dir_ / "err"));
    }
    std::string out() const { return slurp(dir_ / "out"); }
    std::string err() const { return slurp(dir_ / "err"); }

    static inline fs::path dir_;
    static inline TestPki pki_;
};

TEST_F(HttpFraming, ChunkedLengthAndCloseOnOneConnection) {
    CannedHttpServer server(pki_, {kChunked, kLength, kUntilClose}, End::close_notify);
    EXPECT_EQ(get(server.address(), "/a,/b,/c"), 0) << err();
    const std::string report = out();
    for (const char* want : {R"({"path":"/a","status":200,"bytes":13,)", R"("framing":"chunked",)",
                             R"({"path":"/b","status":200,"bytes":13,)", R"("framing":"content-length",)",
                             R"({"path":"/c","status":200,"bytes":13,)", R"("framing":"close",)",
                             R"("verify":"ok")"})
        EXPECT_NE(report.find(want), std::string::npos) << want << " in " << report;
    const std::string requests = server.request();
    EXPECT_EQ(requests.find("GET /a HTTP/1.1\n"), 0u) << requests;
    EXPECT_NE(requests.find("GET /c HTTP/1.1\n"), std::string::npos) << requests;
}

TEST_F(HttpFraming, CloseDelimitedWithoutCloseNotifyIsTruncation) {
    CannedHttpServer server(pki_, {kUntilClose}, End::abrupt);
    EXPECT_EQ(get(server.address(), "/a"), 1);
    EXPECT_EQ(err(), "mptls: response to GET /a: peer closed the connection without close_notify: the data may "
                     "be truncated; check the peer's log\n");
    EXPECT_EQ(out(), R"({"error":{"message":"response to GET /a: peer closed the connection without )"
                     R"(close_notify: the data may be truncated; check the peer's log","command":"client",)"
                     R"("kind":"runtime"}})" "\n");
}

TEST_F(HttpFraming, ShortChunkedBodyAtCloseNotifyIsAnError) {
    CannedHttpServer server(pki_, {kChunked.substr(0, kChunked.size() - 12)}, End::close_notify);
    EXPECT_EQ(get(server.address(), "/a"), 1);
    EXPECT_EQ(err(), "mptls: response to GET /a: the server ended the connection after 8 bytes of a chunked body "
                     "that was not complete\n");
}

TEST_F(HttpFraming, CloseDelimitedBodyEndsTheKeepAliveConnection) {
    CannedHttpServer server(pki_, {kUntilClose}, End::close_notify);
    EXPECT_EQ(get(server.address(), "/a,/b"), 1);
    EXPECT_EQ(err(), "mptls: server closed the keep-alive connection after /a (its response ran to the end of "
                     "the connection)\n");
}

} // namespace
} // namespace mptls
