// SPDX-License-Identifier: MIT
#include "handshake_observer.hpp"

#include <openssl/crypto.h>

namespace mptls {
namespace {

bool hex_decode(std::string_view hex, Secret& out) {
    if (hex.size() % 2 != 0)
        return false;
    out.assign(hex.size() / 2, 0);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = OPENSSL_hexchar2int(static_cast<unsigned char>(hex[2 * i]));
        const int lo = OPENSSL_hexchar2int(static_cast<unsigned char>(hex[2 * i + 1]));
        if (hi < 0 || lo < 0)
            return false;
        out[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return true;
}

} // namespace

void HandshakeObserver::attach(SSL* ssl) {
    SSL_set_app_data(ssl, this);
    SSL_set_msg_callback(ssl, on_message);
    SSL_set_info_callback(ssl, on_info);
}

HandshakeObserver* HandshakeObserver::of(const SSL* ssl) {
    return static_cast<HandshakeObserver*>(SSL_get_app_data(ssl));
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
    if (client_secret)
        hex_decode(secret_hex, client_app_secret_);
    else if (server_secret)
        hex_decode(secret_hex, server_app_secret_);
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
    if (self != nullptr && (where & SSL_CB_READ_ALERT) != 0)
        self->peer_alert_ = SSL_alert_desc_string_long(ret);
}

} // namespace mptls
