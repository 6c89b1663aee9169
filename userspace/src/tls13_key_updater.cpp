// SPDX-License-Identifier: MIT
#include "mptls/tls13_key_updater.hpp"

#include <utility>

#include <openssl/crypto.h>

#include "mptls/error.hpp"
#include "mptls/kdf.hpp"

namespace mptls {

Tls13KeyUpdater::Tls13KeyUpdater(const EVP_MD* md, const CipherSpec& cipher, Secret tx_secret,
                                 Secret rx_secret)
    : md_(md), cipher_(&cipher), tx_(std::move(tx_secret)), rx_(std::move(rx_secret)) {
    const auto hash_len = static_cast<std::size_t>(EVP_MD_get_size(md));
    if (tx_.size() != hash_len || rx_.size() != hash_len)
        throw Error("internal error: a TLS 1.3 traffic secret is not as long as the suite's hash");
}

Secret Tls13KeyUpdater::next_secret(const EVP_MD* md, Bytes secret) {
    return hkdf_expand_label(md, secret, "traffic upd", {}, static_cast<std::size_t>(EVP_MD_get_size(md)));
}

KernelCryptoInfo Tls13KeyUpdater::advance(Secret& secret) {
    Secret next = next_secret(md_, secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    secret = std::move(next); // the old buffer is cleansed again as it is freed
    const TrafficKeys keys = tls13_traffic_keys(md_, secret, *cipher_);
    // A new key starts a new record sequence (RFC 8446 §5.3).
    return pack_crypto_info(TlsVersion::tls13, *cipher_, keys, 0);
}

KernelCryptoInfo Tls13KeyUpdater::next_tx() {
    KernelCryptoInfo info = advance(tx_);
    ++tx_updates_;
    return info;
}

KernelCryptoInfo Tls13KeyUpdater::next_rx() {
    KernelCryptoInfo info = advance(rx_);
    ++rx_updates_;
    return info;
}

} // namespace mptls
