// SPDX-License-Identifier: MIT
// HTTP --check-data against peers the tool does not control: the mptls client
// against a canned server that sends a wrong, missing or malformed
// Repr-Digest, and the mptls server against a hand-written client that
// does or does not ask for one. TLS runs in OpenSSL over TCP on loopback.
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <sstream>
#include <sys/socket.h>

#include "mptls/error.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"
#include "canned_http_server.hpp"
#include "tool_process.hpp"

namespace mptls {
namespace {

namespace fs = std::filesystem;
using namespace mptls::test;

// The body every canned response carries, and digests of it and of a near miss.
constexpr const char* kBody = "hello\n";
constexpr const char* kBodyHex = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
constexpr const char* kBodyB64 = "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";
constexpr const char* kOtherHex = "0655937a5582c55b9ac610ed7ce474ed9be0a0fbefe9afcba31b36040be5530b";
constexpr const char* kOtherB64 = "BlWTelWCxVuaxhDtfOR07ZvgoPvv6a/Loxs2BAvlUws="; // of "hellO\n"

std::string response_with(const std::string& extra_headers) {
    return "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n" + extra_headers + "Connection: close\r\n\r\n" + kBody;
}

struct CannedCase {
    const char* name;
    bool verify;              // run the client with --check-data
    std::string headers;      // extra response header lines
    int exit_code;
    std::string error;        // the client's exact stderr
};

void PrintTo(const CannedCase& c, std::ostream* os) { *os << c.name; }

class HttpVerifyAgainstCannedServer : public ::testing::TestWithParam<CannedCase> {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("mptls-http-verify-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        pki_ = generate_test_pki(dir_ / "pki", {});
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    int run_client(const std::string& addr, bool verify) {
        std::vector<std::string> args{"client", "--connect", addr, "--servername", "localhost", "--ca",
                                      pki_.ca_cert.string(), "--offload", "user", "--transport", "tcp",
                                      "--get", "/x", "--json"};
        if (verify)
            args.push_back("--check-data");
        return wait_exit(spawn_tool(args, dir_ / "out", dir_ / "err"));
    }

    static inline fs::path dir_;
    static inline TestPki pki_;
};

TEST_P(HttpVerifyAgainstCannedServer, ClientChecksTheDigest) {
    const CannedCase& c = GetParam();
    CannedHttpServer server(pki_, response_with(c.headers));
    EXPECT_EQ(run_client(server.address(), c.verify), c.exit_code) << slurp(dir_ / "err");
    EXPECT_EQ(slurp(dir_ / "err"), c.error);

    const std::string request = server.request();
    EXPECT_TRUE(request.starts_with("GET /x HTTP/1.1\n")) << request;
    const bool asked = request.find("\nWant-Repr-Digest: sha-256=10\n") != std::string::npos;
    EXPECT_EQ(asked, c.verify) << request;

    if (c.exit_code == 0) {
        const std::string out = slurp(dir_ / "out");
        EXPECT_NE(out.find(c.verify ? "\"verify\":\"ok\"" : "\"verify\":\"off\""), std::string::npos) << out;
        EXPECT_NE(out.find(R"({"path":"/x","status":200,"bytes":6,"ms":)"), std::string::npos) << out;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Responses, HttpVerifyAgainstCannedServer,
    ::testing::Values(
        CannedCase{"MatchingDigest", true, std::string("Repr-Digest: sha-256=:") + kBodyB64 + ":\r\n", 0, ""},
        // Two field lines form one dictionary (RFC 9110 section 5.3).
        CannedCase{"DigestOnTheFirstFieldLine", true,
                   std::string("Repr-Digest: sha-256=:") + kBodyB64 + ":\r\nRepr-Digest: sha-512=:YWJj:\r\n", 0, ""},
        CannedCase{"DigestOnTheSecondFieldLine", true,
                   std::string("Repr-Digest: sha-512=:YWJj:\r\nrepr-digest:  sha-256=:") + kBodyB64 + ": \r\n",
                   0, ""},
        CannedCase{"WrongDigest", true, std::string("Repr-Digest: sha-256=:") + kOtherB64 + ":\r\n", 1,
                   std::string("mptls: body of /x does not match the server's Repr-Digest (sha-256 got ") +
                       kBodyHex + ", want " + kOtherHex + ")\n"},
        CannedCase{"NoDigest", true, "", 1,
                   "mptls: server sent no Repr-Digest for /x; --check-data needs a server that sends one\n"},
        CannedCase{"DigestWithoutColons", true, std::string("Repr-Digest: sha-256=") + kBodyB64 + "\r\n", 1,
                   std::string("mptls: server sent a Repr-Digest for /x without a valid sha-256 member "
                               "(\"sha-256=") + kBodyB64 + "\"); --check-data needs sha-256=:<base64>:\n"},
        CannedCase{"OnlySha512", true, "Repr-Digest: sha-512=:YWJj:\r\n", 1,
                   "mptls: server sent a Repr-Digest for /x without a valid sha-256 member "
                   "(\"sha-512=:YWJj:\"); --check-data needs sha-256=:<base64>:\n"},
        // Without --check-data nothing is asked for and nothing is checked.
        CannedCase{"NoVerifyIgnoresAWrongDigest", false,
                   std::string("Repr-Digest: sha-256=:") + kOtherB64 + ":\r\n", 0, ""}),
    [](const auto& info) { return std::string(info.param.name); });

// The mptls server hashes a body only for a request that asks for sha-256.
class HttpServerDigest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("mptls-http-server-" + std::to_string(getpid()));
        fs::create_directories(dir_ / "www");
        std::ofstream(dir_ / "www" / "x") << kBody;
        pki_ = generate_test_pki(dir_ / "pki", {});
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    TestPki pki_;
};

// Sends a GET with extra header lines and returns the response head.
std::string get(SecureStream& s, const std::string& path, const std::string& extra, bool last) {
    s.write_all("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra +
                (last ? "Connection: close\r\n" : "") + "\r\n");
    const std::string head = read_request(s); // a response head reads like a request head
    const auto at = head.find("Content-Length: ");
    std::string body(at == std::string::npos ? 0 : std::stoul(head.substr(at + 16)), '\0');
    EXPECT_TRUE(s.read_exact(body));
    return head;
}

TEST_F(HttpServerDigest, SendsReprDigestOnlyWhenAsked) {
    const fs::path ready = dir_ / "ready";
    const pid_t server = spawn_tool({"server", "--listen", "127.0.0.1:0", "--ready-file", ready.string(),
                                     "--cert", pki_.server_cert.string(), "--key", pki_.server_key.string(),
                                     "--offload", "user", "--transport", "tcp", "--http-root",
                                     (dir_ / "www").string()},
                                    dir_ / "sout", dir_ / "serr");
    const std::string addr = wait_ready(ready);
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");

    TlsContext ctx(TlsSettings{.role = Role::client, .version = VersionChoice::any, .cipher = nullptr,
                               .offload = Offload::user, .cert_file = {}, .key_file = {},
                               .ca_file = pki_.ca_cert, .verify_peer = true, .keylog_file = {}});
    SecureStream s = SecureStream::establish(connect_to(parse_host_port(addr), Transport::tcp), ctx, "localhost");
    const std::string want = std::string("\nRepr-Digest: sha-256=:") + kBodyB64 + ":\n";
    const std::string not_found = "\nRepr-Digest: sha-256=:cJAJ4CyONkETsoIFqt3jDM4nDXCQc/KBU8hf3FA2yW0=:\n";

    const std::string plain = get(s, "/x", "", false);
    EXPECT_EQ(plain.find("Repr-Digest"), std::string::npos) << plain;
    const std::string asked = get(s, "/x", "Want-Repr-Digest: sha-256=10\r\n", false);
    EXPECT_NE(asked.find(want), std::string::npos) << asked;
    const std::string among = get(s, "/x", "Want-Repr-Digest: sha-512=10, sha-256=1\r\n", false);
    EXPECT_NE(among.find(want), std::string::npos) << among;
    const std::string zero = get(s, "/x", "Want-Repr-Digest: sha-256=0\r\n", false);
    EXPECT_EQ(zero.find("Repr-Digest"), std::string::npos) << zero;
    const std::string other = get(s, "/x", "Want-Repr-Digest: sha-512=10\r\n", false);
    EXPECT_EQ(other.find("Repr-Digest"), std::string::npos) << other;
    const std::string missing = get(s, "/missing", "Want-Repr-Digest: sha-256=10\r\n", true);
    EXPECT_TRUE(missing.starts_with("HTTP/1.1 404 ")) << missing;
    EXPECT_NE(missing.find(not_found), std::string::npos) << missing;

    s.send_close_notify();
    char buf[64];
    while (!s.peer_closed())
        EXPECT_EQ(s.read_some(buf), 0u);
    EXPECT_EQ(wait_exit(server), 0) << slurp(dir_ / "serr");
}

// Reads what the server answers to a bad request, until it hangs up
// (it may do so without close_notify: the connection ended in an error).
std::string answer_to(SecureStream& s, const std::string& request) {
    s.write_all(request);
    std::string got;
    try {
        char buf[512];
        while (const std::size_t n = s.read_some(buf))
            got.append(buf, n);
    } catch (const Error&) {
    }
    return got;
}

// Peer input never ends the server: each bad connection is one line on
// stderr naming the peer and the cause, and the next connection is served.
TEST_F(HttpServerDigest, ServerSurvivesBadRequestsAndServesTheNext) {
    const fs::path ready = dir_ / "ready";
    const pid_t server = spawn_tool({"server", "--listen", "127.0.0.1:0", "--ready-file", ready.string(),
                                     "--cert", pki_.server_cert.string(), "--key", pki_.server_key.string(),
                                     "--offload", "user", "--transport", "tcp", "--count", "0", "--http-root",
                                     (dir_ / "www").string()},
                                    dir_ / "sout", dir_ / "serr");
    const std::string addr = wait_ready(ready);
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    TlsContext ctx(TlsSettings{.role = Role::client, .version = VersionChoice::any, .cipher = nullptr,
                               .offload = Offload::user, .cert_file = {}, .key_file = {},
                               .ca_file = pki_.ca_cert, .verify_peer = true, .keylog_file = {}});
    const auto connect = [&] {
        return SecureStream::establish(connect_to(parse_host_port(addr), Transport::tcp), ctx, "localhost");
    };

    const std::vector<std::string> bad_lengths{"-1", "abc", "99999999999999999999999", "5, 6", "1\r2"};
    for (const std::string& length : bad_lengths) {
        SecureStream s = connect();
        const std::string got =
            answer_to(s, "GET /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + length + "\r\n\r\n");
        EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << length << ": " << got;
        EXPECT_NE(got.find("\r\nConnection: close\r\n"), std::string::npos) << got;
    }
    {
        SecureStream s = connect();
        EXPECT_EQ(answer_to(s, "MPTLS-BULK/1 up -1 verify\n"),
                  "ERR malformed request; use an mptls client of the same version\n");
    }
    {
        // Not TLS at all.
        Socket raw = connect_to(parse_host_port(addr), Transport::tcp);
        EXPECT_GT(::write(raw.fd.get(), "GET / HTTP/1.1\r\n\r\n", 18), 0);
        char buf[256];
        while (::read(raw.fd.get(), buf, sizeof buf) > 0) {
        }
    }
    // And the server still answers a well-formed client.
    EXPECT_EQ(wait_exit(spawn_tool({"client", "--connect", addr, "--servername", "localhost", "--ca",
                                    pki_.ca_cert.string(), "--offload", "user", "--transport", "tcp", "--get",
                                    "/x", "--check-data", "--json"},
                                   dir_ / "cout", dir_ / "cerr")),
              0)
        << slurp(dir_ / "cerr");
    EXPECT_NE(slurp(dir_ / "cout").find(R"({"path":"/x","status":200,"bytes":6,)"), std::string::npos)
        << slurp(dir_ / "cout");

    ::kill(server, SIGTERM);
    wait_exit(server);
    std::vector<std::string> lines;
    {
        std::istringstream in(slurp(dir_ / "serr"));
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 8u) << slurp(dir_ / "serr"); // "listening on", then one line per bad peer
    EXPECT_TRUE(lines[0].starts_with("mptls: listening on ")) << lines[0];
    const std::string expect[] = {
        "peer sent Content-Length \"-1\", which is not a decimal number of bytes (RFC 9110 section 8.6)",
        "peer sent Content-Length \"abc\", which is not a decimal number of bytes (RFC 9110 section 8.6)",
        "peer sent Content-Length \"99999999999999999999999\", past the largest length this tool handles "
        "(18446744073709551615)",
        "peer sent conflicting Content-Length values (5 and 6)",
        // What the peer sent is quoted, but its control characters are not printed.
        "peer sent Content-Length \"1?2\", which is not a decimal number of bytes (RFC 9110 section 8.6)",
        "client sent a malformed transfer request \"MPTLS-BULK/1 up -1 verify\"",
    };
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_TRUE(lines[i + 1].starts_with("mptls: 127.0.0.1:")) << lines[i + 1];
        EXPECT_TRUE(lines[i + 1].ends_with(": " + expect[i])) << lines[i + 1];
    }
    EXPECT_TRUE(lines[7].starts_with("mptls: 127.0.0.1:")) << lines[7]; // the TLS handshake failure
    EXPECT_EQ(slurp(dir_ / "serr").find("std::"), std::string::npos);
}

} // namespace
} // namespace mptls
