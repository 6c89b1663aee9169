// SPDX-License-Identifier: MIT
// From handshake secrets to the struct the kernel wants for TLS_TX/TLS_RX.
// All TLS 1.2 / 1.3 key, IV and salt rules live in record_keys.cpp.
#pragma once

#include <cstdint>
#include <sys/socket.h>
#include <linux/tls.h>

#include "mptls/cipher_table.hpp"
#include "mptls/kdf.hpp"
#include "mptls/ossl.hpp"

namespace mptls {

enum class TlsVersion { tls12, tls13 };

// One direction's record protection keys as TLS defines them.
struct TrafficKeys {
    Secret key;
    Secret iv; // TLS 1.2: client/server_write_IV; TLS 1.3: [sender]_write_iv
};

struct Tls12KeyBlock {
    TrafficKeys client_write;
    TrafficKeys server_write;
};

// RFC 5246 §6.3 key block from the master secret; prf_md is the suite's PRF hash.
Tls12KeyBlock tls12_traffic_keys(const EVP_MD* prf_md, Bytes master_secret,
                                 Bytes client_random, Bytes server_random,
                                 const CipherSpec& cipher);

// RFC 8446 §7.3 key and iv from an application traffic secret.
TrafficKeys tls13_traffic_keys(const EVP_MD* md, Bytes traffic_secret,
                               const CipherSpec& cipher);

// Bytes ready for setsockopt(SOL_TLS, TLS_TX/TLS_RX); wiped on destruction.
class KernelCryptoInfo {
public:
    KernelCryptoInfo() = default;
    KernelCryptoInfo(const KernelCryptoInfo&) = default;
    KernelCryptoInfo& operator=(const KernelCryptoInfo&) = default;
    ~KernelCryptoInfo();

    const void* data() const noexcept { return &u_; }
    socklen_t size() const noexcept { return size_; }
    const tls_crypto_info& header() const noexcept { return u_.info; }

    // Views of the fields whatever the cipher (for tests and diagnostics).
    Bytes key() const noexcept;
    Bytes iv() const noexcept;
    Bytes salt() const noexcept;
    Bytes rec_seq() const noexcept;

private:
    friend KernelCryptoInfo pack_crypto_info(TlsVersion, const CipherSpec&,
                                             const TrafficKeys&, std::uint64_t);
    union {
        tls_crypto_info info;
        tls12_crypto_info_aes_gcm_128 aes_gcm_128;
        tls12_crypto_info_aes_gcm_256 aes_gcm_256;
        tls12_crypto_info_aes_ccm_128 aes_ccm_128;
        tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
    } u_{};
    socklen_t size_ = 0;
};

// record_seq: sequence number of the next record the kernel will protect
// (TX) or expect (RX) in this direction.
KernelCryptoInfo pack_crypto_info(TlsVersion version, const CipherSpec& cipher,
                                  const TrafficKeys& keys, std::uint64_t record_seq);

} // namespace mptls
