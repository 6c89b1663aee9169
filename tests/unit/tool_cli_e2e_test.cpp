// SPDX-License-Identifier: MIT
// The command-line conventions of issue 13, seen from outside: the built
// mptls binary's stdout, stderr and exit status for --version, help,
// the deprecated --verify, progress and JSON error objects.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "mptls/test_pki.hpp"
#include "tool_process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mptls::test;

class ToolCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("mptls-cli-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs the tool to completion; out() and err() hold what it wrote.
    int run(const std::vector<std::string>& args) { return wait_exit(spawn_tool(args, dir_ / "out", dir_ / "err")); }
    std::string out() const { return slurp(dir_ / "out"); }
    std::string err() const { return slurp(dir_ / "err"); }

    // A server over TCP (no "fell back" notes) for `count` connections.
    std::pair<pid_t, std::string> start_server(std::vector<std::string> extra, int count = 1) {
        pki_ = mptls::generate_test_pki(dir_ / "pki", {});
        const fs::path ready = dir_ / "ready";
        std::vector<std::string> args{"server", "-l", "127.0.0.1:0", "--ready-file", ready.string(),
                                      "--cert", pki_.server_cert.string(), "--key", pki_.server_key.string(),
                                      "-o", "user", "-T", "tcp", "-n", std::to_string(count)};
        args.insert(args.end(), extra.begin(), extra.end());
        const pid_t pid = spawn_tool(args, dir_ / "sout", dir_ / "serr");
        return {pid, wait_ready(ready)};
    }
    std::vector<std::string> client(const std::string& addr, std::vector<std::string> extra) const {
        std::vector<std::string> args{"client", "-c", addr, "--ca", pki_.ca_cert.string(), "--servername",
                                      "localhost", "-o", "user", "-T", "tcp"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    fs::path dir_;
    mptls::TestPki pki_;
};

TEST_F(ToolCli, VersionLongAndShort) {
    for (const char* flag : {"--version", "-V"}) {
        EXPECT_EQ(run({flag}), 0) << flag;
        EXPECT_EQ(out(), "mptls " MPTLS_EXPECTED_VERSION "\n") << flag;
        EXPECT_EQ(err(), "") << flag;
    }
    EXPECT_EQ(run({"client", "-V"}), 0);
    EXPECT_EQ(out(), "mptls " MPTLS_EXPECTED_VERSION "\n");
}

TEST_F(ToolCli, HelpCommandPrintsTheCommandsOwnHelp) {
    for (const char* command : {"server", "client", "gen-ca"}) {
        ASSERT_EQ(run({command, "--help"}), 0) << command;
        const std::string own = out();
        EXPECT_TRUE(own.starts_with(std::string("mptls ") + command + " - ")) << own;
        ASSERT_EQ(run({"help", command}), 0) << command;
        EXPECT_EQ(out(), own) << command;
        ASSERT_EQ(run({command, "-h"}), 0) << command;
        EXPECT_EQ(out(), own) << command;
    }
    ASSERT_EQ(run({"--help"}), 0);
    const std::string overview = out();
    EXPECT_TRUE(overview.starts_with("mptls - ")) << overview;
    ASSERT_EQ(run({"help"}), 0);
    EXPECT_EQ(out(), overview);
    EXPECT_EQ(run({"help", "nope"}), 2);
    EXPECT_EQ(out(), "");
    EXPECT_EQ(err(), "mptls: no help for \"nope\": use mptls help server, client or gen-ca\n");
}

TEST_F(ToolCli, VerifyStillWorksWithOneWarningLine) {
    const auto [server, addr] = start_server({});
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    EXPECT_EQ(run(client(addr, {"-b", "64k", "--verify", "--verify", "--json"})), 0) << err();
    EXPECT_EQ(wait_exit(server), 0) << slurp(dir_ / "serr");
    EXPECT_EQ(err(), "mptls: --verify is deprecated; use --check-data\n");
    EXPECT_NE(out().find("\"verify\":\"ok\""), std::string::npos) << out();
}

// Progress goes to stderr only: with --progress it is there (one line per
// redraw, the last one "done"), and stdout is the JSON report alone.
TEST_F(ToolCli, ProgressIsOnStderrAndStdoutHasOnlyTheReport) {
    const auto [server, addr] = start_server({"-p"}, 2);
    ASSERT_FALSE(addr.empty()) << slurp(dir_ / "serr");
    EXPECT_EQ(run(client(addr, {"-b", "2M", "-C", "-j", "-p"})), 0) << err();
    EXPECT_NE(err().find("upload 100.0%  2097152/2097152 bytes"), std::string::npos) << err();
    EXPECT_TRUE(err().ends_with(" done\n")) << err();
    const std::string report = out();
    EXPECT_TRUE(report.starts_with("{\"role\":\"client\"")) << report;
    EXPECT_EQ(report.find('\n'), report.size() - 1) << report;
    EXPECT_EQ(report.find("bytes "), std::string::npos) << report;

    // Not a terminal and not asked for: no progress.
    EXPECT_EQ(run(client(addr, {"-b", "2M", "-d", "down", "-j"})), 0) << err();
    EXPECT_EQ(err(), "");
    EXPECT_EQ(wait_exit(server), 0) << slurp(dir_ / "serr");
    EXPECT_NE(slurp(dir_ / "serr").find("receiving 100.0%  2097152/2097152 bytes"), std::string::npos)
        << slurp(dir_ / "serr");
    EXPECT_EQ(slurp(dir_ / "sout").find("bytes "), std::string::npos) << slurp(dir_ / "sout");
}

TEST_F(ToolCli, JsonModeFailureIsAnErrorObjectOnStdout) {
    // A port nobody listens on: bind one, note it, close it.
    const auto [server, addr] = start_server({});
    ASSERT_FALSE(addr.empty());
    EXPECT_EQ(run(client(addr, {"-b", "1k"})), 0) << err();
    EXPECT_EQ(wait_exit(server), 0);

    EXPECT_EQ(run(client(addr, {"-b", "1k", "--json"})), 1);
    const std::string message = "cannot connect to " + addr;
    EXPECT_TRUE(err().starts_with("mptls: " + message)) << err();
    EXPECT_TRUE(out().starts_with(R"({"error":{"message":")" + message)) << out();
    EXPECT_NE(out().find(R"(","command":"client","kind":"runtime","errno":111}})" "\n"), std::string::npos)
        << out();
    // The same words in both.
    const std::string words = err().substr(7, err().size() - 8);
    EXPECT_TRUE(out().starts_with(R"({"error":{"message":")" + words + "\"")) << out();

    // Without JSON mode, stdout stays empty.
    EXPECT_EQ(run(client(addr, {"-b", "1k"})), 1);
    EXPECT_EQ(out(), "");
}

TEST_F(ToolCli, JsonModeUsageErrorIsAnErrorObjectToo) {
    EXPECT_EQ(run({"client", "-j", "--tls", "1.0"}), 2);
    EXPECT_EQ(out(), R"({"error":{"message":"--tls takes 1.2, 1.3 or default, not \"1.0\"",)"
                     R"("command":"client","kind":"usage"}})" "\n");
    EXPECT_EQ(err(), "mptls: --tls takes 1.2, 1.3 or default, not \"1.0\"\n");
    EXPECT_EQ(run({"serve", "--json"}), 2);
    EXPECT_TRUE(out().starts_with(R"({"error":{"message":"unknown command \"serve\")")) << out();
    EXPECT_NE(out().find(R"("command":null,"kind":"usage"}})"), std::string::npos) << out();
}

// A server goes on after a failed connection; in JSON mode that
// connection's line is an error object naming the peer.
TEST_F(ToolCli, JsonServerReportsAFailedConnectionAsAnObject) {
    const auto [server, addr] = start_server({"--json"});
    ASSERT_FALSE(addr.empty());
    const auto other = mptls::generate_test_pki(dir_ / "other", {});
    std::vector<std::string> args = client(addr, {"-b", "1k"});
    args[4] = other.ca_cert.string(); // a CA that did not sign the server
    EXPECT_EQ(run(args), 1);
    EXPECT_EQ(wait_exit(server), 1);
    const std::string sout = slurp(dir_ / "sout");
    EXPECT_TRUE(sout.starts_with(R"({"error":{"message":")")) << sout;
    EXPECT_NE(sout.find(R"("command":"server","kind":"connection","peer":"127.0.0.1:)"), std::string::npos) << sout;
    EXPECT_NE(slurp(dir_ / "serr").find("mptls: 127.0.0.1:"), std::string::npos) << slurp(dir_ / "serr");
}

// Wrapper mode needs the kernel to take the keys: where it cannot (a host
// without kernel TLS), the client says so and the command never runs.
TEST_F(ToolCli, WrappedCommandDoesNotRunWithoutKernelTls) {
    const auto [server, addr] = start_server({});
    ASSERT_FALSE(addr.empty());
    const fs::path ran = dir_ / "ran";
    std::vector<std::string> args = client(addr, {});
    args.erase(args.begin() + 7, args.begin() + 9); // "-o user": wrapper mode is kernel offload only
    args.insert(args.end(), {"--", "touch", ran.string()});
    const int rc = run(args);
    wait_exit(server);
    if (rc == 0)
        GTEST_SKIP() << "kernel TLS is available here (tests/vm/tool_wrapper.sh covers it)";
    EXPECT_EQ(rc, 1) << err();
    EXPECT_EQ(err(), "mptls: kernel TLS is unavailable: load the tls module (modprobe tls), or use --offload user\n");
    EXPECT_FALSE(fs::exists(ran));
}

} // namespace
