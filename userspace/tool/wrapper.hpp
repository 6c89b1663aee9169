// SPDX-License-Identifier: MIT
// Wrapper mode ("mptls client|server ... -- CMD ARGS..."): CMD runs with a
// kernel-TLS socket as its stdin and stdout, so a program that only knows
// read(2) and write(2) talks TLS, its records sealed and opened by the
// kernel. No OpenSSL object and no secret exists in this process by then
// (SecureStream wipes them after the key push), and CMD gets no other fd.
//
// What CMD sees (the kernel's kTLS semantics, see README):
//   write(2)  every byte goes out in TLS records, sealed by the kernel;
//   read(2)   application data; a non-data record (the peer's close_notify,
//             an alert, a TLS 1.3 session ticket) fails the read with EIO,
//             and so does every read after it; a peer that closes without
//             close_notify reads as end of file (0).
// When CMD exits, mptls sends close_notify and half-closes, then reads and
// drops what the peer still sends until its close_notify (at most
// kLingerAfterCommand), so the peer gets all CMD wrote, not a reset.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mptls::tool {

inline constexpr std::chrono::milliseconds kLingerAfterCommand{2000};

struct CommandOutcome {
    int status = 0;    // exit code, or 128 + the signal that ended it (as a shell says)
    int exec_errno = 0; // non-zero: CMD could not be started (status 127 or 126)
    double ms = 0;     // from start to exit
};

// Starts argv[0] (searched in PATH) with fd 0 and fd 1 the socket, fd 2 ours,
// every other fd closed, default SIGPIPE and no blocked signal; waits for it.
CommandOutcome run_command_on_socket(int sock, const std::vector<std::string>& argv);

// "cannot run CMD: No such file or directory" for a failed start.
std::string command_start_error(const std::vector<std::string>& argv, int exec_errno);

// After the command: close_notify, shutdown(SHUT_WR), then drain until the
// peer's close_notify or end of file, for at most `linger`. Best effort: a
// peer that already left is no error.
void end_wrapped_connection(int sock, std::chrono::milliseconds linger);

} // namespace mptls::tool
