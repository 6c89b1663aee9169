// SPDX-License-Identifier: MIT
// Watches one SSL object through OpenSSL's callbacks to learn what kernel
// offload needs and OpenSSL 3.0 does not expose: the TLS 1.3 application
// traffic secrets, how many records each direction has protected with the
// current keys, and the last alert the peer sent.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/ssl.h>

#include "mptls/ossl.hpp"
#include "mptls/record_keys.hpp"
#include "mptls/tls_context.hpp"

namespace mptls {

enum class Flow { read = 0, write = 1 };

class HandshakeObserver {
public:
    explicit HandshakeObserver(Role role) : role_(role) {}
    HandshakeObserver(const HandshakeObserver&) = delete;
    HandshakeObserver& operator=(const HandshakeObserver&) = delete;

    // Installs the per-SSL message and info callbacks and finds us through
    // an ex_data index of our own (app_data, index 0, stays the
    // application's). An info callback already in effect for ssl (its own
    // or its SSL_CTX's) is called after ours. The message callback is
    // OpenSSL's single slot: an application's is replaced. The observer
    // must outlive ssl's use, or detach() first.
    void attach(SSL* ssl);
    void detach(SSL* ssl);
    static HandshakeObserver* of(const SSL* ssl);

    // One NSS key-log line ("LABEL client_random secret"). A secret that is
    // not valid hex leaves the previous value and is reported by
    // keylog_error().
    void on_keylog_line(std::string_view line);
    const std::string& keylog_error() const noexcept { return keylog_error_; }

    // Wipes (OPENSSL_cleanse) and drops the traffic secrets.
    void wipe_secrets() noexcept;
    bool holds_secrets() const noexcept {
        return !client_app_secret_.empty() || !server_app_secret_.empty();
    }

    // Sequence number of the next record in this flow under the current keys.
    std::uint64_t next_record_seq(Flow flow, TlsVersion version) const;

    const Secret& client_app_secret() const noexcept { return client_app_secret_; }
    const Secret& server_app_secret() const noexcept { return server_app_secret_; }
    // KeyUpdate messages OpenSSL wrote (write) and read (read), whether
    // asked for with SSL_key_update() or sent in answer to the peer.
    std::uint64_t key_updates(Flow flow) const noexcept {
        return key_updates_[static_cast<int>(flow)];
    }
    // Last alert received from the peer, e.g. "handshake failure"; empty if none.
    const std::string& peer_alert() const noexcept { return peer_alert_; }

private:
    static void on_message(int write_p, int version, int content_type, const void* buf,
                           size_t len, SSL* ssl, void* arg);
    static void on_info(const SSL* ssl, int where, int ret);

    // Records counted since the keys last changed, per flow. TLS 1.2 changes
    // keys at ChangeCipherSpec (RFC 5246 §7.1); TLS 1.3 when a traffic secret
    // is installed (RFC 8446 §7.2), which OpenSSL reports through the key
    // log. The compatibility-mode CCS records of TLS 1.3 must not reset the
    // count, hence two counters and the choice made once the version is known.
    struct Counter {
        std::uint64_t since_ccs = 0;
        std::uint64_t since_secret = 0;
    };
    std::array<Counter, 2> records_{};
    std::array<std::uint64_t, 2> key_updates_{};
    Role role_;
    Secret client_app_secret_;
    Secret server_app_secret_;
    std::string peer_alert_;
    std::string keylog_error_;
    void (*app_info_cb_)(const SSL*, int, int) = nullptr;
};

} // namespace mptls
