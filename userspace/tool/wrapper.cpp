// SPDX-License-Identifier: MIT
#include "wrapper.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mptls/error.hpp"
#include "mptls/ktls_record_io.hpp"

extern char** environ;

namespace mptls::tool {
namespace {

using Clock = std::chrono::steady_clock;

// Owns one of posix_spawn's attribute objects: Init on construction,
// Destroy on every path out.
template <typename T, int (*Init)(T*), int (*Destroy)(T*)>
struct SpawnObject {
    T value;
    SpawnObject() {
        if (const int rc = Init(&value); rc != 0)
            throw Error::from_errno("cannot prepare to run the command", rc);
    }
    ~SpawnObject() { Destroy(&value); }
    SpawnObject(const SpawnObject&) = delete;
    SpawnObject& operator=(const SpawnObject&) = delete;
};
using SpawnFileActions = SpawnObject<posix_spawn_file_actions_t, posix_spawn_file_actions_init,
                                     posix_spawn_file_actions_destroy>;
using SpawnAttr = SpawnObject<posix_spawnattr_t, posix_spawnattr_init, posix_spawnattr_destroy>;

void check(int rc, const char* what) {
    if (rc != 0)
        throw Error::from_errno(std::string("cannot prepare to run the command (") + what + ")", rc);
}

int exit_status_of(int wait_status) {
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 255;
}

} // namespace

CommandOutcome run_command_on_socket(int sock, const std::vector<std::string>& argv) {
    SpawnFileActions fa;
    // adddup2 clears FD_CLOEXEC on the copies (also when sock is 0 or 1);
    // every fd from 3 up is closed in the child, whatever its flags: the
    // listener, other connections' sockets, a key log, fds we inherited.
    check(posix_spawn_file_actions_adddup2(&fa.value, sock, STDIN_FILENO), "stdin");
    check(posix_spawn_file_actions_adddup2(&fa.value, sock, STDOUT_FILENO), "stdout");
    check(posix_spawn_file_actions_addclosefrom_np(&fa.value, STDERR_FILENO + 1), "closefrom");

    // mptls ignores SIGPIPE (ignored signals survive exec): the command gets
    // the default back, so a writer whose peer left dies as it would on TCP.
    SpawnAttr sa;
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&none);
    check(posix_spawnattr_setsigdefault(&sa.value, &defaults), "signals");
    check(posix_spawnattr_setsigmask(&sa.value, &none), "signal mask");
    check(posix_spawnattr_setflags(&sa.value, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "flags");

    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    CommandOutcome out;
    const auto start = Clock::now();
    pid_t pid = -1;
    // glibc reports a failed exec as the return value (the child never ran).
    if (const int rc = posix_spawnp(&pid, args[0], &fa.value, &sa.value, args.data(), environ); rc != 0) {
        out.exec_errno = rc;
        out.status = rc == ENOENT ? 127 : 126;
        return out;
    }
    int wait_status = 0;
    while (waitpid(pid, &wait_status, 0) < 0) {
        if (errno != EINTR)
            throw Error::from_errno("cannot wait for the command", errno);
    }
    out.status = exit_status_of(wait_status);
    out.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return out;
}

std::string command_start_error(const std::vector<std::string>& argv, int exec_errno) {
    return "cannot run " + argv.front() + ": " + std::strerror(exec_errno) +
           (exec_errno == ENOENT ? " (is it in PATH?)" : "");
}

void end_wrapped_connection(int sock, std::chrono::milliseconds linger) {
    try {
        ktls_send_close_notify(sock);
    } catch (const Error&) {
        return; // the peer is gone (EPIPE, reset): nothing to end
    }
    ::shutdown(sock, SHUT_WR);
    // Closing with unread data would send a reset, which can overtake the
    // end of what the command wrote: read until the peer ends too.
    const auto deadline = Clock::now() + linger;
    std::unique_ptr<char[]> buf(new char[kMaxRecordPlaintext]);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return;
        timeval tv{.tv_sec = static_cast<time_t>(left.count() / 1000000),
                   .tv_usec = static_cast<suseconds_t>(left.count() % 1000000)};
        if (::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
            return;
        try {
            if (ktls_recv(sock, {buf.get(), kMaxRecordPlaintext}) == 0)
                return; // the peer's close_notify
        } catch (const Error&) {
            return; // end of file, timeout, reset or an alert: done either way
        }
    }
}

} // namespace mptls::tool
