// SPDX-License-Identifier: MIT
// Handing record crypto to the kernel: attach the "tls" ULP, push keys with
// TLS_TX / TLS_RX, and turn any failure into one sentence of advice.
#pragma once

#include <string>

#include "mptls/cipher_table.hpp"
#include "mptls/record_keys.hpp"

namespace mptls {

enum class KtlsStep { attach_ulp, set_tx, set_rx };

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
// setsockopt(SOL_TLS, TLS_TX or TLS_RX, info); step must be set_tx or set_rx.
void push_crypto_info(const KtlsTarget& target, KtlsStep step, const KernelCryptoInfo& info);

} // namespace mptls
