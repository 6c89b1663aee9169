// SPDX-License-Identifier: MIT
#include "mptls/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <fstream>
#include <string>

#include "handshake_observer.hpp"
#include "mptls/error.hpp"

namespace mptls {
namespace {

// Opening the file ourselves first gives a message that names it and the
// errno, which OpenSSL's PEM errors do not.
void require_readable(const std::string& path, const char* what, const char* option) {
    std::ifstream f(path);
    if (!f)
        throw Error(std::string("cannot read ") + what + " file " + path + ": " +
                        std::strerror(errno) + "; check " + option,
                    errno);
}

std::string all_tls12_kernel_suites() {
    std::string out;
    for (const auto& c : all_ciphers())
        out += (out.empty() ? "" : ":") + std::string(c.tls12_suites);
    return out;
}

void set_versions(SSL_CTX* ctx, VersionChoice v) {
    const int min = v == VersionChoice::tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    const int max = v == VersionChoice::tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1 || SSL_CTX_set_max_proto_version(ctx, max) != 1)
        throw Error::from_openssl("cannot restrict the TLS version");
}

void set_ciphers(SSL_CTX* ctx, const CipherSpec* cipher, Offload offload) {
    if (cipher != nullptr) {
        if (SSL_CTX_set_cipher_list(ctx, std::string(cipher->tls12_suites).c_str()) != 1 ||
            SSL_CTX_set_ciphersuites(ctx, std::string(cipher->tls13_suite).c_str()) != 1)
            throw Error::from_openssl("OpenSSL refused cipher " + std::string(cipher->name));
        return;
    }
    // Default choice. Every TLS 1.3 default suite is one the kernel has, but
    // the TLS 1.2 default list includes CBC suites kernel TLS cannot take,
    // so with kernel offload we offer only suites from our table.
    if (offload == Offload::kernel &&
        SSL_CTX_set_cipher_list(ctx, all_tls12_kernel_suites().c_str()) != 1)
        throw Error::from_openssl("OpenSSL refused the kernel-capable TLS 1.2 suites");
}

void load_server_identity(SSL_CTX* ctx, const TlsSettings& s) {
    if (s.cert_file.empty() || s.key_file.empty())
        throw Error("the server needs a certificate and key: pass --cert and --key "
                    "(mptls gen-ca DIR creates test ones)");
    require_readable(s.cert_file, "certificate", "--cert");
    require_readable(s.key_file, "private key", "--key");
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
        throw Error::from_openssl("cannot load certificate " + s.cert_file + " (check --cert)");
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw Error::from_openssl("cannot load private key " + s.key_file + " (check --key)");
    if (SSL_CTX_check_private_key(ctx) != 1)
        throw Error::from_openssl("private key " + s.key_file + " does not match certificate " +
                                  s.cert_file);
    // Lets DHE-RSA-AES128-CCM work with RSA certificates.
    SSL_CTX_set_dh_auto(ctx, 1);
}

void load_client_trust(SSL_CTX* ctx, const TlsSettings& s) {
    if (!s.verify_peer) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        return;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (s.ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            throw Error::from_openssl("cannot load the system trust store (pass --ca)");
        return;
    }
    require_readable(s.ca_file, "CA certificate", "--ca");
    if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1)
        throw Error::from_openssl("cannot load CA certificate " + s.ca_file + " (check --ca)");
}

// Our SSL_CTX ex_data slot, allocated once per process (thread-safe static
// initialisation; OpenSSL's allocator is thread-safe too).
int context_index() {
    static const int index = [] {
        const int i = SSL_CTX_get_ex_new_index(0, const_cast<char*>("mptls::TlsContext"),
                                               nullptr, nullptr, nullptr);
        if (i < 0)
            throw Error::from_openssl("cannot allocate an SSL_CTX ex_data index");
        return i;
    }();
    return index;
}

void set_session_policy(SSL_CTX* ctx, const TlsSettings& s) {
    if (s.session_tickets)
        return; // OpenSSL's defaults: two TLS 1.3 tickets, TLS 1.2 tickets, server cache
    // No TLS 1.3 NewSessionTicket, no TLS 1.2 ticket, no cached session
    // holding the master secret after the connection.
    if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
        throw Error::from_openssl("cannot turn session tickets off");
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

} // namespace

TlsContext* TlsContext::of(const SSL_CTX* ctx) {
    return ctx == nullptr ? nullptr
                          : static_cast<TlsContext*>(SSL_CTX_get_ex_data(ctx, context_index()));
}

void TlsContext::on_keylog(const SSL* ssl, const char* line) {
    TlsContext* self = of(SSL_get_SSL_CTX(ssl));
    if (self != nullptr)
        self->write_keylog_line(line);
    if (auto* obs = HandshakeObserver::of(ssl))
        obs->on_keylog_line(line);
    if (self != nullptr)
        if (const SSL_CTX_keylog_cb_func app = self->app_keylog_.load(); app != nullptr)
            app(ssl, line);
}

void TlsContext::adopt_keylog_callback() {
    SSL_CTX* ctx = ctx_.get();
    if (SSL_CTX_get_keylog_callback(ctx) == &TlsContext::on_keylog)
        return; // the usual case: nothing changed, nothing written
    const std::lock_guard lock(adopt_mutex_);
    const SSL_CTX_keylog_cb_func current = SSL_CTX_get_keylog_callback(ctx);
    if (current == &TlsContext::on_keylog)
        return;
    app_keylog_.store(current); // nullptr if the application cleared it
    SSL_CTX_set_keylog_callback(ctx, &TlsContext::on_keylog);
}

ossl::UniquePtr<SSL> TlsContext::new_ssl() {
    adopt_keylog_callback();
    ossl::UniquePtr<SSL> ssl(SSL_new(ctx_.get()));
    if (!ssl)
        throw Error::from_openssl("cannot create an OpenSSL connection");
    return ssl;
}

TlsContext::~TlsContext() {
    if (ctx_)
        SSL_CTX_set_ex_data(ctx_.get(), context_index(), nullptr);
}

TlsContext::TlsContext(const TlsSettings& settings) : settings_(settings) {
    const bool server = settings.role == Role::server;
    ctx_.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    if (!ctx_)
        throw Error::from_openssl("cannot create an OpenSSL context");
    SSL_CTX* ctx = ctx_.get();

    set_versions(ctx, settings.version);
    set_ciphers(ctx, settings.cipher, settings.offload);
    // We derive and push keys ourselves (OpenSSL 3.0's own kTLS cannot do
    // TLS 1.3 RX and fails silently on MPTCP sockets), so never let OpenSSL
    // try. Read-ahead stays off so OpenSSL never holds bytes beyond the
    // record it is processing when we hand the socket to the kernel.
    SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_read_ahead(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    if (server)
        set_session_policy(ctx, settings);

    if (server)
        load_server_identity(ctx, settings);
    else
        load_client_trust(ctx, settings);

    if (!settings.keylog_file.empty()) {
        // The log holds session secrets: readable by the owner only.
        const int fd = ::open(settings.keylog_file.c_str(),
                              O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        keylog_.reset(fd >= 0 ? ::fdopen(fd, "a") : nullptr);
        if (!keylog_)
            throw Error::from_errno("cannot open key log file " + settings.keylog_file +
                                        " (check --keylog)", errno);
    }
    // Always on: the callback is how we learn TLS 1.3 traffic secrets.
    if (SSL_CTX_set_ex_data(ctx, context_index(), this) != 1)
        throw Error::from_openssl("cannot attach to the OpenSSL context");
    adopt_keylog_callback();
}

void TlsContext::write_keylog_line(const char* line) {
    if (!keylog_)
        return;
    std::fprintf(keylog_.get(), "%s\n", line);
    std::fflush(keylog_.get());
}

} // namespace mptls
