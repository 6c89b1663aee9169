// SPDX-License-Identifier: MIT
// Handing record crypto to the kernel: attach the "tls" ULP, push keys with
// TLS_TX / TLS_RX, and turn any failure into one sentence of advice.
#pragma once

#include <string>

#include "mptls/cipher_table.hpp"
#include "mptls/record_keys.hpp"

namespace mptls {

// update_tx/update_rx: a further TLS_TX/TLS_RX, the next TLS 1.3 keys
// after a KeyUpdate (mptls.ko; kTLS on TCP only since Linux 6.14).
enum class KtlsStep { attach_ulp, set_tx, set_rx, update_tx, update_rx };

struct KtlsTarget {
    int fd;
    bool mptcp_socket;          // socket was created with IPPROTO_MPTCP
    TlsVersion version;
    const CipherSpec* cipher;
};

// The single errno -> advice mapping for the key push.
std::string ktls_advice(KtlsStep step, int err, const KtlsTarget& target);

// setsockopt(SOL_TCP, TCP_ULP, "tls"); throws Error with ktls_advice().
void attach_tls_ulp(const KtlsTarget& target);
// setsockopt(SOL_TLS, TLS_TX or TLS_RX, info); any step but attach_ulp.
void push_crypto_info(const KtlsTarget& target, KtlsStep step, const KernelCryptoInfo& info);

} // namespace mptls
