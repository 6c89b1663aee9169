// SPDX-License-Identifier: MIT
#include "tls_failure.hpp"

#include <cstring>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "mptls/error.hpp"

namespace mptls {
namespace {

bool is_ssl_reason(unsigned long e, int reason) {
    return e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason;
}

// The reason OpenSSL failed on: the first error of the queue for the
// library that raised it, the last for the most specific one; we look at both.
bool queue_has_ssl_reason(int reason) {
    return is_ssl_reason(ERR_peek_error(), reason) || is_ssl_reason(ERR_peek_last_error(), reason);
}

} // namespace

bool is_unexpected_eof(int ssl_error, int saved_errno) {
    if (ssl_error == SSL_ERROR_SSL)
        return queue_has_ssl_reason(SSL_R_UNEXPECTED_EOF_WHILE_READING);
    return ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0 && ERR_peek_error() == 0;
}

std::string describe_ssl_failure(const SSL* ssl, int ssl_error, int saved_errno,
                                 const std::string& peer_alert, const std::string& what) {
    const bool eof = is_unexpected_eof(ssl_error, saved_errno);
    const bool verify_failed = queue_has_ssl_reason(SSL_R_CERTIFICATE_VERIFY_FAILED);
    const bool wrong_version = queue_has_ssl_reason(SSL_R_WRONG_VERSION_NUMBER) ||
                               queue_has_ssl_reason(SSL_R_PACKET_LENGTH_TOO_LONG);
    const bool no_shared = queue_has_ssl_reason(SSL_R_NO_SHARED_CIPHER) ||
                           queue_has_ssl_reason(SSL_R_NO_CIPHERS_AVAILABLE) ||
                           queue_has_ssl_reason(SSL_R_UNSUPPORTED_PROTOCOL) ||
                           queue_has_ssl_reason(SSL_R_NO_PROTOCOLS_AVAILABLE);

    std::string msg = what;
    const std::string reasons = drain_openssl_errors();
    if (eof)
        msg += ": the peer closed the connection without close_notify";
    else if (!reasons.empty())
        msg += ": " + reasons;
    else if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0)
        msg += std::string(": ") + std::strerror(saved_errno);
    if (!peer_alert.empty())
        msg += "; the peer sent alert \"" + peer_alert + "\"";

    const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
    const bool verifying = ssl != nullptr && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
    if (verify_failed && verifying && verify != X509_V_OK)
        msg += std::string("; certificate verification failed (") +
               X509_verify_cert_error_string(verify) +
               "): pass the issuing CA with --ca, set --servername to a name in the "
               "certificate, or use --insecure";
    else if (verify_failed)
        msg += "; certificate verification failed";
    else if (wrong_version)
        msg += "; the peer does not speak TLS on this port (plain TCP or another protocol?)";
    else if (no_shared)
        msg += "; no TLS version or cipher suite in common with the peer: check --tls and --cipher";
    else if (eof)
        msg += "; it may have rejected us or crashed: check the peer's log";
    return msg;
}

} // namespace mptls
