// SPDX-License-Identifier: MIT
// RAII owners for OpenSSL handles: one deleter per type and one alias
// template, so business logic never calls *_free itself.
#pragma once

#include <memory>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace mptls::ossl {

template <typename T> struct Deleter;

#define MPTLS_OSSL_DELETER(type, free_fn)                                     \
    template <> struct Deleter<type> {                                        \
        void operator()(type* p) const noexcept { free_fn(p); }               \
    }

MPTLS_OSSL_DELETER(SSL_CTX, SSL_CTX_free);
MPTLS_OSSL_DELETER(SSL, SSL_free);
MPTLS_OSSL_DELETER(X509, X509_free);
MPTLS_OSSL_DELETER(X509_NAME, X509_NAME_free);
MPTLS_OSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);
MPTLS_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
MPTLS_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
MPTLS_OSSL_DELETER(EVP_KDF, EVP_KDF_free);
MPTLS_OSSL_DELETER(EVP_KDF_CTX, EVP_KDF_CTX_free);
MPTLS_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
MPTLS_OSSL_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
MPTLS_OSSL_DELETER(BIO, BIO_free_all);
MPTLS_OSSL_DELETER(ASN1_INTEGER, ASN1_INTEGER_free);
MPTLS_OSSL_DELETER(BIGNUM, BN_free);

#undef MPTLS_OSSL_DELETER

template <typename T> using UniquePtr = std::unique_ptr<T, Deleter<T>>;

// Allocator that wipes memory before giving it back, so key material held
// in a vector never lingers on the heap (also across reallocation).
template <typename T> struct CleansingAllocator {
    using value_type = T;
    CleansingAllocator() = default;
    template <typename U> CleansingAllocator(const CleansingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        OPENSSL_cleanse(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <typename U> bool operator==(const CleansingAllocator<U>&) const noexcept { return true; }
};

} // namespace mptls::ossl

namespace mptls {
// Bytes that are secret: wiped when freed.
using Secret = std::vector<unsigned char, ossl::CleansingAllocator<unsigned char>>;
} // namespace mptls
