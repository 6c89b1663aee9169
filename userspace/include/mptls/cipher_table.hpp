// SPDX-License-Identifier: MIT
// One descriptor per AEAD cipher that both OpenSSL and kernel TLS support;
// every size check and name lookup is derived from this table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace mptls {

struct CipherSpec {
    std::string_view name;          // our CLI name, e.g. "aes128gcm"
    std::uint16_t kernel_type;      // TLS_CIPHER_* from <linux/tls.h>
    std::size_t key_size;           // bytes of write key
    std::size_t kernel_salt_size;   // crypto_info.salt (implicit nonce part)
    std::size_t kernel_iv_size;     // crypto_info.iv
    std::size_t tls12_fixed_iv_size; // client/server_write_IV in the TLS 1.2 key block
    int openssl_nid;                // NID of the AEAD, to map a negotiated cipher back
    std::string_view tls13_suite;   // SSL_CTX_set_ciphersuites() name
    std::string_view tls12_suites;  // SSL_CTX_set_cipher_list() names
    std::string_view alternative;   // what to suggest when the kernel lacks this one
};

std::span<const CipherSpec> all_ciphers();
const CipherSpec* find_cipher_by_name(std::string_view name);
const CipherSpec* find_cipher_by_nid(int nid);
// "aes128gcm|aes256gcm|chacha20|aes128ccm"
std::string_view cipher_names();

} // namespace mptls
