// SPDX-License-Identifier: MIT
// The TLS 1.3 key schedule after the handshake (RFC 8446 §7.2), for a
// connection whose record crypto the kernel does: the two current
// application traffic secrets, and the next keys for either direction.
//
// Why secrets stay in this process at all: a KeyUpdate (§4.6.3) moves one
// direction to
//   application_traffic_secret_N+1 =
//       HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)
// and the kernel keeps only keys and IVs, from which the next secret cannot
// be derived. Whoever must follow a KeyUpdate has to keep secret N.
#pragma once

#include <cstdint>

#include <openssl/evp.h>

#include "mptls/cipher_table.hpp"
#include "mptls/ossl.hpp"
#include "mptls/record_keys.hpp"

namespace mptls {

class Tls13KeyUpdater {
public:
    // md: the suite's hash (SSL_CIPHER_get_handshake_digest); the secrets
    // are our write (tx) and read (rx) application traffic secrets.
    Tls13KeyUpdater(const EVP_MD* md, const CipherSpec& cipher, Secret tx_secret, Secret rx_secret);
    Tls13KeyUpdater(Tls13KeyUpdater&&) noexcept = default;
    Tls13KeyUpdater& operator=(Tls13KeyUpdater&&) noexcept = default;
    Tls13KeyUpdater(const Tls13KeyUpdater&) = delete;
    Tls13KeyUpdater& operator=(const Tls13KeyUpdater&) = delete;
    ~Tls13KeyUpdater() = default; // Secret's allocator cleanses both

    // Moves our write direction to its next secret (the old one is wiped)
    // and returns what TLS_TX needs for it, at record sequence 0.
    KernelCryptoInfo next_tx();
    // The same for the read direction and TLS_RX.
    KernelCryptoInfo next_rx();

    // How many times each direction moved on (KeyUpdates sent, received).
    std::uint64_t tx_updates() const noexcept { return tx_updates_; }
    std::uint64_t rx_updates() const noexcept { return rx_updates_; }
    const CipherSpec& cipher() const noexcept { return *cipher_; }

    // application_traffic_secret_N+1 from _N (RFC 8446 §7.2).
    static Secret next_secret(const EVP_MD* md, Bytes secret);

private:
    KernelCryptoInfo advance(Secret& secret);

    const EVP_MD* md_;
    const CipherSpec* cipher_;
    Secret tx_;
    Secret rx_;
    std::uint64_t tx_updates_ = 0;
    std::uint64_t rx_updates_ = 0;
};

} // namespace mptls
