// SPDX-License-Identifier: MIT
#include "mptls/cipher_table.hpp"

#include <array>
#include <linux/tls.h>
#include <openssl/obj_mac.h>

namespace mptls {
namespace {

// Fixed IV sizes in the TLS 1.2 key block: 4 bytes for GCM (RFC 5288 §3) and
// CCM (RFC 6655 §3), 12 bytes for ChaCha20-Poly1305 (RFC 7905 §2).
constexpr std::array<CipherSpec, 4> kCiphers{{
    {.name = "aes128gcm",
     .kernel_type = TLS_CIPHER_AES_GCM_128,
     .key_size = TLS_CIPHER_AES_GCM_128_KEY_SIZE,
     .kernel_salt_size = TLS_CIPHER_AES_GCM_128_SALT_SIZE,
     .kernel_iv_size = TLS_CIPHER_AES_GCM_128_IV_SIZE,
     .tls12_fixed_iv_size = 4,
     .openssl_nid = NID_aes_128_gcm,
     .tls13_suite = "TLS_AES_128_GCM_SHA256",
     .tls12_suites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
     .alternative = "chacha20"},
    {.name = "aes256gcm",
     .kernel_type = TLS_CIPHER_AES_GCM_256,
     .key_size = TLS_CIPHER_AES_GCM_256_KEY_SIZE,
     .kernel_salt_size = TLS_CIPHER_AES_GCM_256_SALT_SIZE,
     .kernel_iv_size = TLS_CIPHER_AES_GCM_256_IV_SIZE,
     .tls12_fixed_iv_size = 4,
     .openssl_nid = NID_aes_256_gcm,
     .tls13_suite = "TLS_AES_256_GCM_SHA384",
     .tls12_suites = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384",
     .alternative = "aes128gcm"},
    {.name = "chacha20",
     .kernel_type = TLS_CIPHER_CHACHA20_POLY1305,
     .key_size = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
     .kernel_salt_size = TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE,
     .kernel_iv_size = TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE,
     .tls12_fixed_iv_size = 12,
     .openssl_nid = NID_chacha20_poly1305,
     .tls13_suite = "TLS_CHACHA20_POLY1305_SHA256",
     .tls12_suites = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
     .alternative = "aes128gcm"},
    {.name = "aes128ccm",
     .kernel_type = TLS_CIPHER_AES_CCM_128,
     .key_size = TLS_CIPHER_AES_CCM_128_KEY_SIZE,
     .kernel_salt_size = TLS_CIPHER_AES_CCM_128_SALT_SIZE,
     .kernel_iv_size = TLS_CIPHER_AES_CCM_128_IV_SIZE,
     .tls12_fixed_iv_size = 4,
     .openssl_nid = NID_aes_128_ccm,
     .tls13_suite = "TLS_AES_128_CCM_SHA256",
     // CCM with a 16-byte tag only; the kernel has no CCM_8.
     .tls12_suites = "ECDHE-ECDSA-AES128-CCM:DHE-RSA-AES128-CCM",
     .alternative = "aes128gcm"},
}};

} // namespace

std::span<const CipherSpec> all_ciphers() { return kCiphers; }

const CipherSpec* find_cipher_by_name(std::string_view name) {
    for (const auto& c : kCiphers)
        if (c.name == name)
            return &c;
    return nullptr;
}

const CipherSpec* find_cipher_by_nid(int nid) {
    for (const auto& c : kCiphers)
        if (c.openssl_nid == nid)
            return &c;
    return nullptr;
}

std::string_view cipher_names() { return "aes128gcm|aes256gcm|chacha20|aes128ccm"; }

} // namespace mptls
