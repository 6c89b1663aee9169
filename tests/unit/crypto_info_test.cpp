// SPDX-License-Identifier: MIT
// Packing keys into the kernel's tls12_crypto_info_* structs, for every
// cipher and both TLS versions.
#include <gtest/gtest.h>

#include <cstring>
#include <linux/tls.h>

#include "hex.hpp"
#include "mptls/record_keys.hpp"

namespace mptls {
namespace {

using test::to_hex;

struct Case {
    const char* cipher;
    TlsVersion version;
};

// Readable parameter names in test output instead of raw bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.cipher << (c.version == TlsVersion::tls13 ? "/TLS1.3" : "/TLS1.2");
}

class CryptoInfoPacking : public ::testing::TestWithParam<Case> {};

TrafficKeys sample_keys(const CipherSpec& c, TlsVersion v) {
    TrafficKeys k;
    for (std::size_t i = 0; i < c.key_size; ++i)
        k.key.push_back(static_cast<unsigned char>(0x10 + i));
    const std::size_t iv_len = v == TlsVersion::tls13 ? 12 : c.tls12_fixed_iv_size;
    for (std::size_t i = 0; i < iv_len; ++i)
        k.iv.push_back(static_cast<unsigned char>(0xa0 + i));
    return k;
}

TEST_P(CryptoInfoPacking, FieldsFollowTheRfcNonceRules) {
    const Case p = GetParam();
    const CipherSpec* c = find_cipher_by_name(p.cipher);
    ASSERT_NE(c, nullptr);
    const TrafficKeys keys = sample_keys(*c, p.version);
    const std::uint64_t seq = 0x0102030405060708ull;
    const KernelCryptoInfo info = pack_crypto_info(p.version, *c, keys, seq);

    EXPECT_EQ(info.header().version, p.version == TlsVersion::tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION);
    EXPECT_EQ(info.header().cipher_type, c->kernel_type);
    EXPECT_EQ(to_hex(info.key()), to_hex(keys.key));
    EXPECT_EQ(to_hex(info.rec_seq()), "0102030405060708");
    EXPECT_EQ(info.salt().size(), c->kernel_salt_size);
    EXPECT_EQ(info.iv().size(), c->kernel_iv_size);

    const std::string iv_hex = to_hex(keys.iv);
    if (c->kernel_type == TLS_CIPHER_CHACHA20_POLY1305) {
        EXPECT_EQ(to_hex(info.iv()), iv_hex); // whole 12-byte IV, no salt
    } else if (p.version == TlsVersion::tls13) {
        EXPECT_EQ(to_hex(info.salt()) + to_hex(info.iv()), iv_hex); // 4 + 8 split
    } else {
        EXPECT_EQ(to_hex(info.salt()), iv_hex);             // 4-byte fixed IV
        EXPECT_EQ(to_hex(info.iv()), "0102030405060708");   // explicit nonce = seq
    }
}

TEST_P(CryptoInfoPacking, SizeMatchesTheKernelStruct) {
    const Case p = GetParam();
    const CipherSpec* c = find_cipher_by_name(p.cipher);
    ASSERT_NE(c, nullptr);
    const KernelCryptoInfo info = pack_crypto_info(p.version, *c, sample_keys(*c, p.version), 0);
    std::size_t expected = 0;
    switch (c->kernel_type) {
    case TLS_CIPHER_AES_GCM_128: expected = sizeof(tls12_crypto_info_aes_gcm_128); break;
    case TLS_CIPHER_AES_GCM_256: expected = sizeof(tls12_crypto_info_aes_gcm_256); break;
    case TLS_CIPHER_AES_CCM_128: expected = sizeof(tls12_crypto_info_aes_ccm_128); break;
    case TLS_CIPHER_CHACHA20_POLY1305: expected = sizeof(tls12_crypto_info_chacha20_poly1305); break;
    }
    EXPECT_EQ(info.size(), expected);
}

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
    return std::string(i.param.cipher) + (i.param.version == TlsVersion::tls13 ? "_tls13" : "_tls12");
}

INSTANTIATE_TEST_SUITE_P(
    AllCiphersBothVersions, CryptoInfoPacking,
    ::testing::Values(Case{"aes128gcm", TlsVersion::tls12}, Case{"aes128gcm", TlsVersion::tls13},
                      Case{"aes256gcm", TlsVersion::tls12}, Case{"aes256gcm", TlsVersion::tls13},
                      Case{"chacha20", TlsVersion::tls12}, Case{"chacha20", TlsVersion::tls13},
                      Case{"aes128ccm", TlsVersion::tls12}, Case{"aes128ccm", TlsVersion::tls13}),
    case_name);

TEST(CryptoInfoPacking, RejectsKeysOfTheWrongLength) {
    const CipherSpec* c = find_cipher_by_name("aes256gcm");
    TrafficKeys k = sample_keys(*c, TlsVersion::tls13);
    k.key.pop_back();
    EXPECT_THROW(pack_crypto_info(TlsVersion::tls13, *c, k, 0), std::exception);
}

} // namespace
} // namespace mptls
