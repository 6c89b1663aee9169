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

} // namespace mptls
