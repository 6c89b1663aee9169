// SPDX-License-Identifier: MIT
// The single home of the TLS 1.2 / TLS 1.3 record key, IV and salt rules.
#include "mptls/record_keys.hpp"

#include <cstring>
#include <string>

#include "mptls/error.hpp"

namespace mptls {

Tls12KeyBlock tls12_traffic_keys(const EVP_MD* prf_md, Bytes master_secret,
                                 Bytes client_random, Bytes server_random,
                                 const CipherSpec& cipher) {
    // RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion",
    // server_random + client_random), sliced in this order:
    //   client_write_MAC_key, server_write_MAC_key  (empty for AEAD suites)
    //   client_write_key, server_write_key
    //   client_write_IV, server_write_IV            (the AEAD "fixed" IV:
    //   4 bytes for GCM, RFC 5288 §3, and CCM, RFC 6655 §3; 12 for ChaCha20,
    //   RFC 7905 §2)
    Secret seed;
    seed.insert(seed.end(), server_random.begin(), server_random.end());
    seed.insert(seed.end(), client_random.begin(), client_random.end());
    const std::size_t k = cipher.key_size, iv = cipher.tls12_fixed_iv_size;
    const Secret block = tls12_prf(prf_md, master_secret, "key expansion", seed, 2 * k + 2 * iv);

    auto slice = [&](std::size_t off, std::size_t len) {
        return Secret(block.begin() + static_cast<long>(off),
                      block.begin() + static_cast<long>(off + len));
    };
    return Tls12KeyBlock{
        .client_write = {.key = slice(0, k), .iv = slice(2 * k, iv)},
        .server_write = {.key = slice(k, k), .iv = slice(2 * k + iv, iv)},
    };
}

TrafficKeys tls13_traffic_keys(const EVP_MD* md, Bytes traffic_secret,
                               const CipherSpec& cipher) {
    // RFC 8446 §7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
    //                [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
    // iv_length is 12 for every AEAD kernel TLS supports (RFC 8446 §5.3).
    constexpr std::size_t tls13_iv_length = 12;
    return TrafficKeys{
        .key = hkdf_expand_label(md, traffic_secret, "key", {}, cipher.key_size),
        .iv = hkdf_expand_label(md, traffic_secret, "iv", {}, tls13_iv_length),
    };
}

namespace {

struct KernelNonce {
    Secret salt;
    Secret iv;
};

Secret big_endian64(std::uint64_t v) {
    Secret out(8);
    for (int i = 7; i >= 0; --i, v >>= 8)
        out[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
    return out;
}

// How the kernel's salt/iv fields carry the TLS nonce material.
KernelNonce kernel_nonce(TlsVersion version, const CipherSpec& cipher,
                         const TrafficKeys& keys, std::uint64_t record_seq) {
    if (cipher.kernel_salt_size == 0) {
        // ChaCha20-Poly1305: nonce = 12-byte IV XOR padded sequence number
        // in both TLS 1.2 (RFC 7905 §2) and TLS 1.3 (RFC 8446 §5.3); the whole
        // IV goes into crypto_info.iv, salt is empty.
        return {.salt = {}, .iv = keys.iv};
    }
    if (version == TlsVersion::tls13) {
        // RFC 8446 §5.3: nonce = write_iv XOR padded sequence number. The
        // kernel keeps write_iv as salt (first 4 bytes) + iv (last 8 bytes).
        return {.salt = Secret(keys.iv.begin(), keys.iv.begin() + 4),
                .iv = Secret(keys.iv.begin() + 4, keys.iv.end())};
    }
    // TLS 1.2 AES-GCM (RFC 5288 §3) and AES-CCM (RFC 6655 §3): nonce =
    // salt (the 4-byte fixed IV) || nonce_explicit (8 bytes, sent in every
    // record). We start nonce_explicit at the record sequence number, as RFC
    // 5288 §3 suggests; the kernel increments it with every record, so it
    // stays unique per key. A receiver reads it from the record.
    return {.salt = keys.iv, .iv = big_endian64(record_seq)};
}

template <typename Struct>
void fill(Struct& s, std::uint16_t version, const CipherSpec& cipher,
          const TrafficKeys& keys, const KernelNonce& nonce, std::uint64_t record_seq) {
    if (keys.key.size() != sizeof s.key || nonce.iv.size() != sizeof s.iv ||
        nonce.salt.size() != sizeof s.salt || cipher.key_size != sizeof s.key)
        throw Error("internal error: key material for " + std::string(cipher.name) +
                    " does not fit the kernel's crypto_info layout");
    s = Struct{.info = {.version = version, .cipher_type = cipher.kernel_type},
               .iv = {}, .key = {}, .salt = {}, .rec_seq = {}};
    std::memcpy(s.key, keys.key.data(), sizeof s.key);
    std::memcpy(s.iv, nonce.iv.data(), sizeof s.iv);
    if constexpr (sizeof s.salt > 0)
        std::memcpy(s.salt, nonce.salt.data(), sizeof s.salt);
    const Secret seq = big_endian64(record_seq);
    static_assert(sizeof s.rec_seq == 8);
    std::memcpy(s.rec_seq, seq.data(), sizeof s.rec_seq);
}

} // namespace

KernelCryptoInfo pack_crypto_info(TlsVersion version, const CipherSpec& cipher,
                                  const TrafficKeys& keys, std::uint64_t record_seq) {
    const std::uint16_t v = version == TlsVersion::tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
    const KernelNonce nonce = kernel_nonce(version, cipher, keys, record_seq);
    KernelCryptoInfo out;
    auto fill_as = [&](auto& s) {
        fill(s, v, cipher, keys, nonce, record_seq);
        out.size_ = sizeof s;
    };
    switch (cipher.kernel_type) {
    case TLS_CIPHER_AES_GCM_128: fill_as(out.u_.aes_gcm_128); break;
    case TLS_CIPHER_AES_GCM_256: fill_as(out.u_.aes_gcm_256); break;
    case TLS_CIPHER_AES_CCM_128: fill_as(out.u_.aes_ccm_128); break;
    case TLS_CIPHER_CHACHA20_POLY1305: fill_as(out.u_.chacha20_poly1305); break;
    default:
        throw Error("internal error: no kernel crypto_info for cipher " + std::string(cipher.name));
    }
    return out;
}

KernelCryptoInfo::~KernelCryptoInfo() { OPENSSL_cleanse(&u_, sizeof u_); }

namespace {
template <typename F> auto visit_fields(const tls_crypto_info& info, const void* base, F f) {
    switch (info.cipher_type) {
    case TLS_CIPHER_AES_GCM_128: return f(*static_cast<const tls12_crypto_info_aes_gcm_128*>(base));
    case TLS_CIPHER_AES_GCM_256: return f(*static_cast<const tls12_crypto_info_aes_gcm_256*>(base));
    case TLS_CIPHER_AES_CCM_128: return f(*static_cast<const tls12_crypto_info_aes_ccm_128*>(base));
    case TLS_CIPHER_CHACHA20_POLY1305:
        return f(*static_cast<const tls12_crypto_info_chacha20_poly1305*>(base));
    default: return Bytes{};
    }
}
} // namespace

Bytes KernelCryptoInfo::key() const noexcept {
    return visit_fields(u_.info, &u_, [](const auto& s) { return Bytes(s.key, sizeof s.key); });
}
Bytes KernelCryptoInfo::iv() const noexcept {
    return visit_fields(u_.info, &u_, [](const auto& s) { return Bytes(s.iv, sizeof s.iv); });
}
Bytes KernelCryptoInfo::salt() const noexcept {
    return visit_fields(u_.info, &u_, [](const auto& s) { return Bytes(s.salt, sizeof s.salt); });
}
Bytes KernelCryptoInfo::rec_seq() const noexcept {
    return visit_fields(u_.info, &u_, [](const auto& s) { return Bytes(s.rec_seq, sizeof s.rec_seq); });
}

} // namespace mptls
