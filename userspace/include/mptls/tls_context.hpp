// SPDX-License-Identifier: MIT
// An OpenSSL SSL_CTX configured for one role, version and cipher choice.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
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
    // Server: issue session tickets (TLS 1.3 NewSessionTicket, TLS 1.2
    // tickets) and keep the server session cache. Off by default: nothing
    // here resumes sessions, and a cached session keeps the master secret
    // alive after the keys went to the kernel.
    bool session_tickets = false;
    // TLS 1.3 with Offload::kernel: keep our two application traffic
    // secrets after the key push (Tls13KeyUpdater), the only way to follow
    // the peer's KeyUpdate and to send our own. false wipes them with the
    // rest, and a KeyUpdate from the peer then ends the connection with an
    // error. TLS 1.2 has no key update: nothing is kept either way.
    bool key_updates = true;
};

// Embedding: the context keeps its pointer in an ex_data index of its own
// (never app_data, index 0), and owns the SSL_CTX key-log callback, which is
// how TLS 1.3 traffic secrets are learned. An application may still set
// its own key-log callback on get(): the next new_ssl() takes it over and
// calls it after ours with the same line. (OpenSSL keeps a single callback
// per SSL_CTX, so set it before handshakes start, not during them.)
class TlsContext {
public:
    explicit TlsContext(const TlsSettings& settings);
    TlsContext(const TlsContext&) = delete;            // OpenSSL holds a pointer to us
    TlsContext& operator=(const TlsContext&) = delete;
    ~TlsContext();

    SSL_CTX* get() const noexcept { return ctx_.get(); }
    const TlsSettings& settings() const noexcept { return settings_; }

    // A new SSL for one connection, with our key-log callback in place
    // (chaining the application's, if it set one since).
    ossl::UniquePtr<SSL> new_ssl();

    // The TlsContext an SSL_CTX belongs to, or nullptr.
    static TlsContext* of(const SSL_CTX* ctx);

    // Called from OpenSSL's keylog callback for every secret it derives.
    void write_keylog_line(const char* line);

private:
    static void on_keylog(const SSL* ssl, const char* line);
    void adopt_keylog_callback();

    struct FileCloser {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    TlsSettings settings_;
    ossl::UniquePtr<SSL_CTX> ctx_;
    std::unique_ptr<std::FILE, FileCloser> keylog_;
    // The application's key-log callback, chained; read from handshakes on
    // any thread while new_ssl() may take over a new one.
    std::atomic<SSL_CTX_keylog_cb_func> app_keylog_{nullptr};
    std::mutex adopt_mutex_;
};

} // namespace mptls
