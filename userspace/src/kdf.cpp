// SPDX-License-Identifier: MIT
#include "mptls/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <string>

#include "mptls/error.hpp"

namespace mptls {
namespace {

// Runs one EVP_KDF with the given parameters; the KDF name selects the
// algorithm ("TLS1-PRF" or "TLS13-KDF").
Secret run_kdf(const char* kdf_name, OSSL_PARAM* params, std::size_t out_len) {
    ossl::UniquePtr<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, kdf_name, nullptr));
    if (!kdf)
        throw Error::from_openssl(std::string("OpenSSL lacks the ") + kdf_name + " KDF");
    ossl::UniquePtr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx)
        throw Error::from_openssl("cannot allocate a KDF context");
    Secret out(out_len);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
        throw Error::from_openssl(std::string(kdf_name) + " derivation failed");
    return out;
}

char* digest_name(const EVP_MD* md) {
    // OSSL_PARAM wants a mutable char*; the string is never written.
    return const_cast<char*>(EVP_MD_get0_name(md));
}

void* mutable_bytes(Bytes b) { return const_cast<unsigned char*>(b.data()); }

} // namespace

Secret tls12_prf(const EVP_MD* md, Bytes secret, std::string_view label,
                 Bytes seed, std::size_t out_len) {
    // OpenSSL's TLS1-PRF concatenates all "seed" parameters, so the label
    // goes first as its own seed chunk, exactly as in P_hash(secret, label + seed).
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name(md), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, mutable_bytes(secret), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<char*>(label.data()), label.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, mutable_bytes(seed), seed.size()),
        OSSL_PARAM_construct_end(),
    };
    return run_kdf("TLS1-PRF", params, out_len);
}

Secret hkdf_expand_label(const EVP_MD* md, Bytes secret, std::string_view label,
                         Bytes context, std::size_t out_len) {
    // OpenSSL 3's "TLS13-KDF" builds the HkdfLabel structure
    //   struct { uint16 length; opaque label<7..255>; opaque context<0..255>; }
    // itself from prefix + label and data, and runs HKDF-Expand with it.
    // Its own limits are not documented, so we keep RFC 8446's here.
    static constexpr std::string_view prefix = "tls13 ";
    if (out_len > 0xffff || prefix.size() + label.size() > 255 || context.size() > 255)
        throw Error("HKDF-Expand-Label input out of range (RFC 8446 §7.1 limits)");

    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    // An empty label or context still needs a valid (non-null) pointer.
    static constexpr unsigned char empty[1] = {0};
    auto ptr = [](const void* p) { return const_cast<void*>(p != nullptr ? p : empty); };
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name(md), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_bytes(secret), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, ptr(prefix.data()), prefix.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, ptr(label.data()), label.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, ptr(context.data()), context.size()),
        OSSL_PARAM_construct_end(),
    };
    return run_kdf("TLS13-KDF", params, out_len);
}

} // namespace mptls
