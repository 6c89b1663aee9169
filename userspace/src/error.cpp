// SPDX-License-Identifier: MIT
#include "mptls/error.hpp"

#include <cstring>
#include <openssl/err.h>

namespace mptls {

std::string drain_openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        if (!out.empty())
            out += "; ";
        if (reason != nullptr) {
            out += reason;
        } else {
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            out += buf;
        }
    }
    return out;
}

Error Error::from_errno(std::string_view what, int err) {
    return Error(std::string(what) + ": " + std::strerror(err), err);
}

Error Error::from_openssl(std::string_view what) {
    unsigned long first = ERR_peek_error();
    std::string reasons = drain_openssl_errors();
    std::string msg(what);
    if (!reasons.empty())
        msg += ": " + reasons;
    return Error(msg, 0, first);
}

} // namespace mptls
