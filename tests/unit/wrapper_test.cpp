// SPDX-License-Identifier: MIT
// Wrapper mode's process plumbing (userspace/tool/wrapper.cpp) on a
// socketpair: what the command gets as fds, signals and exit status. The
// key push itself needs kernel TLS, so tests/vm/tool_wrapper.sh runs the
// whole thing in the VM.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mptls/socket.hpp"
#include "wrapper.hpp"

namespace mptls::tool {
namespace {

struct Pair {
    Fd ours, theirs;
    Pair() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ours = Fd(sv[0]);
        theirs = Fd(sv[1]);
    }
};

// Everything the command wrote, once it has exited (it holds the only
// other copy of the socket, so end of file comes with its exit).
std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    return out;
}

CommandOutcome run(Pair& p, const std::string& script) {
    const CommandOutcome out = run_command_on_socket(p.theirs.get(), {"/bin/sh", "-c", script});
    p.theirs.reset();
    return out;
}

TEST(Wrapper, StdinAndStdoutAreTheSocketAndNothingElseIsInherited) {
    // An fd without FD_CLOEXEC, as a parent process might leave us.
    const int leaked = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaked, 3);
    Pair p;
    struct stat st {};
    ASSERT_EQ(::fstat(p.theirs.get(), &st), 0);
    const CommandOutcome out =
        run(p, "readlink /proc/$$/fd/0 /proc/$$/fd/1; ls /proc/$$/fd"); // the shell's, not ls's
    ::close(leaked);
    EXPECT_EQ(out.status, 0);
    EXPECT_EQ(out.exec_errno, 0);
    const std::string socket = "socket:[" + std::to_string(st.st_ino) + "]\n";
    // fd 2 is the test's stderr; the shell itself opens nothing else.
    EXPECT_EQ(read_all(p.ours.get()), socket + socket + "0\n1\n2\n");
}

TEST(Wrapper, TheCommandReadsWhatThePeerSends) {
    Pair p;
    const std::string hello = "hello from the peer\n";
    ASSERT_EQ(::write(p.ours.get(), hello.data(), hello.size()), static_cast<ssize_t>(hello.size()));
    const CommandOutcome out = run(p, "head -n 1 | tr a-z A-Z");
    EXPECT_EQ(out.status, 0);
    EXPECT_EQ(read_all(p.ours.get()), "HELLO FROM THE PEER\n");
}

TEST(Wrapper, SigpipeIsDefaultAndNoSignalIsBlocked) {
    // As the tool does in main(): ignored signals survive exec.
    const auto old = std::signal(SIGPIPE, SIG_IGN);
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    Pair p;
    const CommandOutcome out = run(p, "grep -E '^Sig(Ign|Blk)' /proc/self/status");
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    std::signal(SIGPIPE, old);
    EXPECT_EQ(out.status, 0);
    const std::string status = read_all(p.ours.get());
    EXPECT_NE(status.find("SigBlk:\t0000000000000000\n"), std::string::npos) << status;
    // SIGPIPE is bit 13 (value 0x1000); whatever else grep ignores, not that.
    const auto ign = status.find("SigIgn:\t");
    ASSERT_NE(ign, std::string::npos) << status;
    const unsigned long long mask = std::stoull(status.substr(ign + 8, 16), nullptr, 16);
    EXPECT_EQ(mask & (1ull << (SIGPIPE - 1)), 0u) << status;
}

TEST(Wrapper, ExitStatusSignalAndStartFailures) {
    Pair a;
    EXPECT_EQ(run(a, "exit 7").status, 7);
    Pair b;
    EXPECT_EQ(run(b, "kill -TERM $$").status, 128 + SIGTERM);
    Pair c;
    const CommandOutcome missing = run_command_on_socket(c.theirs.get(), {"mptls-no-such-command"});
    EXPECT_EQ(missing.status, 127);
    EXPECT_EQ(missing.exec_errno, ENOENT);
    EXPECT_EQ(command_start_error({"mptls-no-such-command"}, missing.exec_errno),
              "cannot run mptls-no-such-command: No such file or directory (is it in PATH?)");
    // A file without execute permission.
    char path[] = "/tmp/mptls-wrapper-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::close(fd);
    Pair d;
    const CommandOutcome not_executable = run_command_on_socket(d.theirs.get(), {path});
    ::unlink(path);
    EXPECT_EQ(not_executable.status, 126);
    EXPECT_EQ(not_executable.exec_errno, EACCES);
}

} // namespace
} // namespace mptls::tool
