// SPDX-License-Identifier: MIT
#include "handshake_observer.hpp"

#include <utility>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "mptls/error.hpp"

namespace mptls {
namespace {

int observer_index() {
    static const int index = [] {
        const int i = SSL_get_ex_new_index(0, const_cast<char*>("mptls::HandshakeObserver"),
                                           nullptr, nullptr, nullptr);
        if (i < 0)
            throw Error::from_openssl("cannot allocate an SSL ex_data index");
        return i;
    }();
    return index;
}

// out gets the bytes of hex only if all of it is valid hex.
bool hex_decode(std::string_view hex, Secret& out) {
    if (hex.empty() || hex.size() % 2 != 0)
        return false;
    // OPENSSL_hexstr2buf_ex wants a NUL-terminated string.
    Secret text(hex.begin(), hex.end());
    text.push_back(0);
    Secret bytes(hex.size() / 2);
    std::size_t len = 0;
    const int ok = OPENSSL_hexstr2buf_ex(bytes.data(), bytes.size(), &len,
                                         reinterpret_cast<const char*>(text.data()), '\0');
    if (ok != 1 || len != bytes.size()) {
        ERR_clear_error();
        return false;
    }
    out = std::move(bytes);
    return true;
}

} // namespace

void HandshakeObserver::attach(SSL* ssl) {
    if (SSL_set_ex_data(ssl, observer_index(), this) != 1)
        throw Error::from_openssl("cannot attach to the OpenSSL connection");
    app_info_cb_ = SSL_get_info_callback(ssl);
    if (app_info_cb_ == nullptr)
        app_info_cb_ = SSL_CTX_get_info_callback(SSL_get_SSL_CTX(ssl));
    if (app_info_cb_ == &HandshakeObserver::on_info)
        app_info_cb_ = nullptr;
    SSL_set_msg_callback(ssl, on_message);
    SSL_set_info_callback(ssl, on_info);
}

void HandshakeObserver::detach(SSL* ssl) {
    SSL_set_ex_data(ssl, observer_index(), nullptr);
    SSL_set_msg_callback(ssl, nullptr);
    SSL_set_info_callback(ssl, app_info_cb_);
}

HandshakeObserver* HandshakeObserver::of(const SSL* ssl) {
    return static_cast<HandshakeObserver*>(SSL_get_ex_data(ssl, observer_index()));
}

void HandshakeObserver::wipe_secrets() noexcept {
    for (Secret* s : {&client_app_secret_, &server_app_secret_}) {
        if (!s->empty())
            OPENSSL_cleanse(s->data(), s->size());
        s->clear();
        s->shrink_to_fit(); // the allocator cleanses again on release
    }
}

void HandshakeObserver::on_keylog_line(std::string_view line) {
    // OpenSSL logs each traffic secret at the moment it installs it for one
    // flow: CLIENT_* is our write side as a client and our read side as a
    // server, and the other way round for SERVER_*.
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos)
        return;
    const std::string_view label = line.substr(0, sp1);
    const std::string_view secret_hex = line.substr(sp2 + 1);
    const bool client_secret = label == "CLIENT_TRAFFIC_SECRET_0";
    const bool server_secret = label == "SERVER_TRAFFIC_SECRET_0";
    const bool handshake_secret =
        label == "CLIENT_HANDSHAKE_TRAFFIC_SECRET" || label == "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    if (!client_secret && !server_secret && !handshake_secret)
        return;
    const bool ours = (role_ == Role::client) == label.starts_with("CLIENT_");
    records_[static_cast<int>(ours ? Flow::write : Flow::read)].since_secret = 0;
    Secret* target = client_secret ? &client_app_secret_
                     : server_secret ? &server_app_secret_
                                     : nullptr;
    if (target != nullptr && !hex_decode(secret_hex, *target))
        keylog_error_ = "OpenSSL logged a " + std::string(label) + " that is not valid hex";
}

std::uint64_t HandshakeObserver::next_record_seq(Flow flow, TlsVersion version) const {
    const Counter& c = records_[static_cast<int>(flow)];
    return version == TlsVersion::tls13 ? c.since_secret : c.since_ccs;
}

void HandshakeObserver::on_message(int write_p, int, int content_type, const void* buf,
                                   size_t len, SSL* ssl, void*) {
    auto* self = of(ssl);
    if (self == nullptr)
        return;
    Counter& c = self->records_[write_p ? 1 : 0];
    if (content_type == SSL3_RT_HANDSHAKE && len >= 1 &&
        static_cast<const unsigned char*>(buf)[0] == SSL3_MT_KEY_UPDATE)
        ++self->key_updates_[write_p ? 1 : 0];
    if (content_type != SSL3_RT_HEADER || len != SSL3_RT_HEADER_LENGTH)
        return;
    // Fires once per record header read or written, before the record's
    // contents are processed, so a key change triggered by a record's
    // contents resets the count after that record was counted. OpenSSL 3.0
    // reports a ChangeCipherSpec it reads only through this header (no
    // SSL3_RT_CHANGE_CIPHER_SPEC message callback), so we look at the
    // header's content type, which TLS 1.2 sends in the clear.
    const auto record_type = static_cast<const unsigned char*>(buf)[0];
    if (record_type == SSL3_RT_CHANGE_CIPHER_SPEC)
        c.since_ccs = 0; // the CCS record itself still uses the old keys
    else
        ++c.since_ccs;
    ++c.since_secret;
}

void HandshakeObserver::on_info(const SSL* ssl, int where, int ret) {
    auto* self = of(ssl);
    if (self == nullptr)
        return;
    if ((where & SSL_CB_READ_ALERT) != 0)
        self->peer_alert_ = SSL_alert_desc_string_long(ret);
    if (self->app_info_cb_ != nullptr)
        self->app_info_cb_(ssl, where, ret);
}

} // namespace mptls
