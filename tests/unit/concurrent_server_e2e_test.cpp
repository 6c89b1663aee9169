// SPDX-License-Identifier: MIT
// The server handles connections concurrently, up to --max-conns: the built
// binary with user-mode TLS on loopback (tests/vm/tool_wrapper.sh runs the
// 100 clients with kernel offload in the VM).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include "mptls/socket.hpp"
#include "mptls/test_pki.hpp"
#include "tool_process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mptls::test;
using namespace std::chrono_literals;

// The exit status, or nullopt if pid is still running after `limit`.
std::optional<int> wait_exit_within(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(10ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t pos = 0; (pos = text.find(what, pos)) != std::string::npos; pos += what.size())
        ++n;
    return n;
}

// A TCP connection that says nothing: it holds a server slot in the
// handshake until closed.
mptls::Fd silent_connection(const std::string& addr) {
    const auto colon = addr.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1))));
    inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
    mptls::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return fd;
}

class ConcurrentServer : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("mptls-conc-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        pki_ = mptls::generate_test_pki(dir_ / "pki", {});
    }
    void TearDown() override {
        if (server_ > 0) {
            ::kill(server_, SIGTERM);
            wait_exit(server_);
        }
        fs::remove_all(dir_);
    }

    std::string start_server(std::vector<std::string> extra) {
        const fs::path ready = dir_ / "ready";
        std::vector<std::string> args{"server", "-l", "127.0.0.1:0", "--ready-file", ready.string(),
                                      "--cert", pki_.server_cert.string(), "--key", pki_.server_key.string(),
                                      "-o", "user", "-T", "tcp", "-j"};
        args.insert(args.end(), extra.begin(), extra.end());
        server_ = spawn_tool(args, dir_ / "sout", dir_ / "serr");
        return wait_ready(ready);
    }
    pid_t start_client(const std::string& addr, std::vector<std::string> extra, const std::string& tag) {
        std::vector<std::string> args{"client", "-c", addr, "--ca", pki_.ca_cert.string(), "--servername",
                                      "localhost", "-o", "user", "-T", "tcp", "-j"};
        args.insert(args.end(), extra.begin(), extra.end());
        return spawn_tool(args, dir_ / (tag + ".out"), dir_ / (tag + ".err"));
    }
    int server_exit() {
        const int rc = wait_exit(server_);
        server_ = -1;
        return rc;
    }

    fs::path dir_;
    mptls::TestPki pki_;
    pid_t server_ = -1;
};

TEST_F(ConcurrentServer, HundredParallelClients) {
    constexpr int kClients = 100;
    const std::string addr = start_server({"-n", std::to_string(kClients), "-m", std::to_string(kClients)});
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    std::vector<pid_t> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(start_client(addr, {"-b", "256k", "-C", "-d", i % 2 == 0 ? "up" : "down"},
                                       "c" + std::to_string(i)));
    for (int i = 0; i < kClients; ++i) {
        ASSERT_GT(clients[i], 0);
        EXPECT_EQ(wait_exit(clients[i]), 0) << slurp(dir_ / ("c" + std::to_string(i) + ".err"));
    }
    EXPECT_EQ(server_exit(), 0) << slurp(dir_ / "serr");
    const std::string reports = slurp(dir_ / "sout");
    EXPECT_EQ(count_of(reports, "{\"role\":\"server\""), static_cast<std::size_t>(kClients));
    EXPECT_EQ(count_of(reports, "\"verify\":\"ok\""), static_cast<std::size_t>(kClients));
    EXPECT_EQ(count_of(reports, "\n"), static_cast<std::size_t>(kClients)) << "one whole line per connection";
}

// A sequential server would wait in the handshake of the silent
// connection forever; this one serves the next client meanwhile.
TEST_F(ConcurrentServer, ASilentClientDoesNotStallTheOthers) {
    const std::string addr = start_server({"-n", "0", "-m", "4"});
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    const mptls::Fd silent = silent_connection(addr);
    std::this_thread::sleep_for(100ms); // let the server accept it first
    const pid_t client = start_client(addr, {"-b", "64k"}, "c");
    const auto rc = wait_exit_within(client, 20s);
    if (!rc)
        ::kill(client, SIGKILL);
    ASSERT_TRUE(rc.has_value()) << "the client was not served while another connection was silent";
    EXPECT_EQ(*rc, 0) << slurp(dir_ / "c.err");
}

// --max-conns 2 with two silent connections: the next client waits in the
// listen queue until one of them goes, then it is served.
TEST_F(ConcurrentServer, MaxConnsHoldsTheNextClientBack) {
    const std::string addr = start_server({"-n", "0", "-m", "2"});
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    mptls::Fd first = silent_connection(addr);
    const mptls::Fd second = silent_connection(addr);
    std::this_thread::sleep_for(100ms);
    const pid_t client = start_client(addr, {"-b", "64k"}, "c");
    EXPECT_FALSE(wait_exit_within(client, 1500ms).has_value()) << "served beyond --max-conns 2";
    first.reset(); // its handshake fails (a connection error) and frees a slot
    const auto rc = wait_exit_within(client, 20s);
    if (!rc)
        ::kill(client, SIGKILL);
    ASSERT_TRUE(rc.has_value()) << "not served once a slot was free";
    EXPECT_EQ(*rc, 0) << slurp(dir_ / "c.err");
    EXPECT_NE(slurp(dir_ / "serr").find("mptls: 127.0.0.1:"), std::string::npos) << slurp(dir_ / "serr");
}

} // namespace
