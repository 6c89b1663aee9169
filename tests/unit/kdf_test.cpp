// SPDX-License-Identifier: MIT
// Key derivation against published vectors.
#include <gtest/gtest.h>

#include "hex.hpp"
#include "mptls/kdf.hpp"
#include "mptls/record_keys.hpp"

namespace mptls {
namespace {

using test::from_hex;
using test::to_hex;

// TLS 1.2 PRF with SHA-256: the vector posted to the IETF TLS WG list
// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), also
// used by several TLS libraries' test suites.
TEST(Tls12Prf, Sha256PublishedVector) {
    const auto secret = from_hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
    const auto seed = from_hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
    const Secret out = tls12_prf(EVP_sha256(), secret, "test label", seed, 100);
    EXPECT_EQ(to_hex(out),
              "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
              "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
              "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
              "87347b66");
}

// RFC 8448 §3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256).
constexpr std::string_view kRfc8448ClientAppSecret =
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
constexpr std::string_view kRfc8448ServerAppSecret =
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";

TEST(HkdfExpandLabel, Rfc8448ServerApplicationKeyAndIv) {
    const auto secret = from_hex(kRfc8448ServerAppSecret);
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "key", {}, 16)),
              "9f02283b6c9c07efc26bb9f2ac92e356");
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "iv", {}, 12)),
              "cf782b88dd83549aadf1e984");
}

TEST(HkdfExpandLabel, Rfc8448ClientApplicationKeyAndIv) {
    const auto secret = from_hex(kRfc8448ClientAppSecret);
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "key", {}, 16)),
              "17422dda596ed5d9acd890e3c63f5051");
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "iv", {}, 12)),
              "5b78923dee08579033e523d9");
}

TEST(Tls13TrafficKeys, Rfc8448ViaCipherTable) {
    const CipherSpec* aes128 = find_cipher_by_name("aes128gcm");
    ASSERT_NE(aes128, nullptr);
    const auto secret = from_hex(kRfc8448ServerAppSecret);
    const TrafficKeys k = tls13_traffic_keys(EVP_sha256(), secret, *aes128);
    EXPECT_EQ(to_hex(k.key), "9f02283b6c9c07efc26bb9f2ac92e356");
    EXPECT_EQ(to_hex(k.iv), "cf782b88dd83549aadf1e984");
}

// The key block is sliced client key, server key, client IV, server IV
// (no MAC keys for AEAD suites): check against the PRF output directly.
TEST(Tls12KeyBlock, SlicesInRfc5246Order) {
    const auto master = from_hex(std::string(96, 'a'));
    const auto client_random = from_hex(std::string(64, '1'));
    const auto server_random = from_hex(std::string(64, '2'));
    std::vector<unsigned char> seed(server_random);
    seed.insert(seed.end(), client_random.begin(), client_random.end());
    for (const CipherSpec& c : all_ciphers()) {
        SCOPED_TRACE(std::string(c.name));
        const std::size_t k = c.key_size, iv = c.tls12_fixed_iv_size;
        const Secret block = tls12_prf(EVP_sha256(), master, "key expansion", seed, 2 * k + 2 * iv);
        const Tls12KeyBlock kb = tls12_traffic_keys(EVP_sha256(), master, client_random, server_random, c);
        EXPECT_EQ(kb.client_write.key, Secret(block.begin(), block.begin() + k));
        EXPECT_EQ(kb.server_write.key, Secret(block.begin() + k, block.begin() + 2 * k));
        EXPECT_EQ(kb.client_write.iv, Secret(block.begin() + 2 * k, block.begin() + 2 * k + iv));
        EXPECT_EQ(kb.server_write.iv, Secret(block.begin() + 2 * k + iv, block.end()));
    }
}

} // namespace
} // namespace mptls
