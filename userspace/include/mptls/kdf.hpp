// SPDX-License-Identifier: MIT
// The two key-derivation primitives TLS needs, on top of OpenSSL's EVP_KDF:
// the TLS 1.2 PRF (RFC 5246 §5) and HKDF-Expand-Label (RFC 8446 §7.1).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <openssl/evp.h>

#include "mptls/ossl.hpp"

namespace mptls {

using Bytes = std::span<const unsigned char>;

// P_hash(secret, label || seed) truncated to out_len bytes (RFC 5246 §5).
Secret tls12_prf(const EVP_MD* md, Bytes secret, std::string_view label,
                 Bytes seed, std::size_t out_len);

// HKDF-Expand(secret, HkdfLabel{out_len, "tls13 " + label, context}, out_len)
// (RFC 8446 §7.1), computed by OpenSSL's "TLS13-KDF".
Secret hkdf_expand_label(const EVP_MD* md, Bytes secret, std::string_view label,
                         Bytes context, std::size_t out_len);

} // namespace mptls
