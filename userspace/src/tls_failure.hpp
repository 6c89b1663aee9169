// SPDX-License-Identifier: MIT
// Reading OpenSSL 3's verdict on a failed SSL_* call: one sentence that
// names the real cause.
#pragma once

#include <string>

#include <openssl/ssl.h>

namespace mptls {

// After SSL_get_error(): the peer closed the transport without sending
// close_notify. OpenSSL 3 reports this as SSL_ERROR_SSL with reason
// SSL_R_UNEXPECTED_EOF_WHILE_READING (OpenSSL 1.1 used SSL_ERROR_SYSCALL
// with errno 0 and an empty queue; we accept that form too). Only peeks at
// the error queue.
bool is_unexpected_eof(int ssl_error, int saved_errno);

// "<what>: <reasons>[; the peer sent alert "..."][; advice]". Drains the
// error queue. Certificate advice is given only when verification is what
// failed; otherwise the advice follows the OpenSSL reason.
std::string describe_ssl_failure(const SSL* ssl, int ssl_error, int saved_errno,
                                 const std::string& peer_alert, const std::string& what);

} // namespace mptls
