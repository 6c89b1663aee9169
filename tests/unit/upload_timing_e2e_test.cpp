// SPDX-License-Identifier: MIT
// An upload is timed to the server's acknowledgement (its close_notify,
// sent once it has read the whole payload), not to the moment the client's
// kernel took the last byte. A server written with the library reads the
// 64 KiB payload only after a pause, so a client that stopped its clock at
// queueing would report a few milliseconds.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <regex>
#include <string>
#include <thread>

#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"
#include "tool_process.hpp"

namespace mptls {
namespace {

namespace fs = std::filesystem;
using namespace mptls::test;
using namespace std::chrono_literals;

TEST(UploadTiming, DurationRunsToTheServersAcknowledgement) {
    const fs::path dir = fs::temp_directory_path() / ("mptls-upload-timing-" + std::to_string(getpid()));
    fs::create_directories(dir);
    const TestPki pki = generate_test_pki(dir / "pki", {});
    TlsContext ctx(TlsSettings{.role = Role::server, .version = VersionChoice::any, .cipher = nullptr,
                               .offload = Offload::user, .cert_file = pki.server_cert, .key_file = pki.server_key,
                               .ca_file = {}, .verify_peer = false, .keylog_file = {}});
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);
    constexpr auto kPause = 1500ms;
    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), ctx, "");
        const auto request = s.read_line(1024);
        EXPECT_EQ(request, "MPTLS-BULK/1 up 65536 noverify");
        s.write_all(std::string("OK 65536\n"));
        std::this_thread::sleep_for(kPause); // the payload waits in the socket buffers
        std::string payload(65536, '\0');
        EXPECT_TRUE(s.read_exact(payload));
        s.send_close_notify();
        char rest[16];
        EXPECT_EQ(s.read_some(rest), 0u); // the client's close_notify
    });
    const int rc = wait_exit(spawn_tool({"client", "-c", listener.bound, "--ca", pki.ca_cert.string(),
                                         "--servername", "localhost", "-o", "user", "-T", "tcp", "-b", "64k", "-j"},
                                        dir / "out", dir / "err"));
    server.get();
    EXPECT_EQ(rc, 0) << slurp(dir / "err");
    const std::string report = slurp(dir / "out");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(report, m, std::regex("\"duration_ms\":([0-9.]+)"))) << report;
    EXPECT_GE(std::stod(m[1]), 1400.0) << report;
    fs::remove_all(dir);
}

} // namespace
} // namespace mptls
