// SPDX-License-Identifier: MIT
// An OpenSSL SSL_CTX configured for one role, version and cipher choice.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "mptls/cipher_table.hpp"
#include "mptls/ossl.hpp"

namespace mptls {

enum class Role { client, server };
enum class VersionChoice { tls12, tls13, any };
enum class Offload { kernel, user };

struct TlsSettings {
    Role role = Role::client;
    VersionChoice version = VersionChoice::any;
    const CipherSpec* cipher = nullptr; // nullptr: let OpenSSL choose
    Offload offload = Offload::kernel;
    std::string cert_file;   // server: PEM certificate (chain)
    std::string key_file;    // server: PEM private key
    std::string ca_file;     // client: PEM trust anchors; empty = system store
    bool verify_peer = true; // client: verify the chain and the host name
    std::string keylog_file; // NSS key log (SSLKEYLOGFILE format); empty = off
};

class TlsContext {
public:
    explicit TlsContext(const TlsSettings& settings);
    TlsContext(const TlsContext&) = delete;            // OpenSSL holds a pointer to us
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const noexcept { return ctx_.get(); }
    const TlsSettings& settings() const noexcept { return settings_; }

    // Called from OpenSSL's keylog callback for every secret it derives.
    void write_keylog_line(const char* line);

private:
    struct FileCloser {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    TlsSettings settings_;
    ossl::UniquePtr<SSL_CTX> ctx_;
    std::unique_ptr<std::FILE, FileCloser> keylog_;
};

} // namespace mptls
