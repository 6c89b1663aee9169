// SPDX-License-Identifier: MIT
#include "mptls/test_pki.hpp"

#include <fstream>
#include <system_error>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mptls/address.hpp"
#include "mptls/error.hpp"
#include "mptls/ossl.hpp"

namespace mptls {
namespace {

constexpr long kValidDays = 825;

ossl::UniquePtr<EVP_PKEY> new_p256_key() {
    ossl::UniquePtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
    if (!key)
        throw Error::from_openssl("cannot generate a P-256 key");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ossl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
        throw Error::from_openssl("cannot add certificate extension " + value);
}

ossl::UniquePtr<X509> new_certificate(const std::string& common_name, EVP_PKEY* subject_key) {
    ossl::UniquePtr<X509> cert(X509_new());
    ossl::UniquePtr<BIGNUM> serial(BN_new());
    if (!cert || !serial || BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
        throw Error::from_openssl("cannot create a certificate");
    ossl::UniquePtr<ASN1_INTEGER> serial_asn1(BN_to_ASN1_INTEGER(serial.get(), nullptr));
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
    if (!serial_asn1 || X509_set_version(cert.get(), 2) != 1 ||
        X509_set_serialNumber(cert.get(), serial_asn1.get()) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidDays * 24 * 3600) == nullptr ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
        X509_set_pubkey(cert.get(), subject_key) != 1)
        throw Error::from_openssl("cannot fill in certificate " + common_name);
    return cert;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
    if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
        throw Error::from_openssl("cannot sign certificate");
}

std::string to_pem(X509* cert, EVP_PKEY* key) {
    ossl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
    const bool ok = cert ? PEM_write_bio_X509(bio.get(), cert) == 1
                         : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (!bio || !ok)
        throw Error::from_openssl("cannot encode PEM");
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

void write_file(const std::filesystem::path& path, const std::string& content, bool secret) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        throw Error("cannot write " + path.string() + ": check that the directory is writable");
    if (secret)
        std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
    out << content;
    if (!out.flush())
        throw Error("cannot write " + path.string() + ": is the disk full?");
}

std::string subject_alt_names(const std::vector<std::string>& extra) {
    std::string out;
    auto add = [&](const std::string& n) {
        out += (out.empty() ? "" : ",") + std::string(is_ip_literal(n) ? "IP:" : "DNS:") + n;
    };
    for (const auto& n : kDefaultServerNames)
        add(n);
    for (const auto& n : extra)
        add(n);
    return out;
}

} // namespace

TestPki generate_test_pki(const std::filesystem::path& dir,
                          const std::vector<std::string>& extra_names) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw Error("cannot create directory " + dir.string() + ": " + ec.message());

    auto ca_key = new_p256_key();
    auto ca = new_certificate("mptls test CA", ca_key.get());
    X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    sign(ca.get(), ca_key.get());

    auto server_key = new_p256_key();
    auto server = new_certificate("server", server_key.get());
    X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get()));
    add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca.get(), NID_subject_alt_name, subject_alt_names(extra_names));
    add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    sign(server.get(), ca_key.get());

    TestPki pki{.ca_cert = dir / "ca.pem", .ca_key = dir / "ca.key",
                .server_cert = dir / "server.pem", .server_key = dir / "server.key"};
    write_file(pki.ca_cert, to_pem(ca.get(), nullptr), false);
    write_file(pki.ca_key, to_pem(nullptr, ca_key.get()), true);
    write_file(pki.server_cert, to_pem(server.get(), nullptr), false);
    write_file(pki.server_key, to_pem(nullptr, server_key.get()), true);
    return pki;
}

} // namespace mptls
