// SPDX-License-Identifier: MIT
// The one error type of the library: a sentence for the user, plus the
// errno and OpenSSL causes behind it for callers that want to branch.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mptls {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int sys_errno = 0,
                   unsigned long openssl_error = 0)
        : std::runtime_error(message), sys_errno_(sys_errno),
          openssl_error_(openssl_error) {}

    int sys_errno() const noexcept { return sys_errno_; }
    unsigned long openssl_error() const noexcept { return openssl_error_; }

    // "<what>: <strerror(err)>".
    static Error from_errno(std::string_view what, int err);
    // "<what>: <reasons from the OpenSSL error queue>"; drains the queue.
    static Error from_openssl(std::string_view what);

private:
    int sys_errno_;
    unsigned long openssl_error_;
};

// Reasons currently on the OpenSSL error queue, "; "-joined, and clears it.
std::string drain_openssl_errors();

// The one error type at a boundary (main(), a server's per-connection loop):
// call inside a catch block, and the exception in flight comes back as an
// Error with a sentence for the user. An Error is returned as it is;
// std::bad_alloc, file system and system errors get a sentence and a hint;
// anything else is an internal error to report. A std exception's own
// what() ("stoull", "basic_string::substr") is never shown on its own.
Error current_exception_as_error() noexcept;

} // namespace mptls
