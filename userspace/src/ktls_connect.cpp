// SPDX-License-Identifier: MIT
#include "mptls/ktls_connect.hpp"

#include <utility>

#include "mptls/error.hpp"

namespace mptls {
namespace {

KtlsConnection finish(Socket sock, TlsContext& ctx, const std::string& peer_name) {
    if (ctx.settings().offload != Offload::kernel)
        throw Error("connect_ktls/accept_ktls need a context with Offload::kernel");
    SecureStream s = SecureStream::establish(std::move(sock), ctx, peer_name);
    StreamInfo info = s.info();
    std::optional<Tls13KeyUpdater> keys = s.take_key_updater();
    return KtlsConnection{.socket = std::move(s).release_socket(), .info = std::move(info),
                          .keys = std::move(keys)};
}

KtlsTarget target_of(const KtlsConnection& c) {
    // Only TLS 1.3 connections have keys to update.
    return KtlsTarget{.fd = c.fd(), .mptcp_socket = c.socket.is_mptcp,
                      .version = c.keys ? TlsVersion::tls13 : TlsVersion::tls12, .cipher = c.info.cipher};
}

} // namespace

TlsSettings ktls_settings(const KtlsOptions& o, Role role) {
    return TlsSettings{
        .role = role,
        .version = o.version,
        .cipher = o.cipher,
        .offload = Offload::kernel,
        .cert_file = o.cert_file,
        .key_file = o.key_file,
        .ca_file = o.ca_file,
        .verify_peer = o.verify_peer,
        .keylog_file = o.keylog_file,
        .session_tickets = o.session_tickets,
        .key_updates = o.key_updates,
    };
}

std::size_t ktls_recv(KtlsConnection& c, std::span<char> buf) {
    if (!c.keys)
        return ktls_recv(c.fd(), buf);
    return ktls_recv(target_of(c), *c.keys, buf);
}

void ktls_update_keys(KtlsConnection& c, bool request_peer) {
    if (!c.keys)
        throw Error(c.info.tls_version == "TLSv1.3"
                        ? "this connection kept no traffic secrets (KtlsOptions::key_updates off), so "
                          "it cannot send a KeyUpdate; keep key_updates on"
                        : "TLS 1.2 has no key update; connect with TLS 1.3 to update keys");
    ktls_send_key_update(target_of(c), *c.keys, request_peer);
}

KeyUpdateCounts ktls_key_updates(const KtlsConnection& c) noexcept {
    if (!c.keys)
        return {};
    return {.sent = c.keys->tx_updates(), .received = c.keys->rx_updates()};
}

KtlsConnection connect_ktls(const std::string& host, const std::string& port,
                            TlsContext& client_ctx, Transport transport,
                            const std::string& server_name) {
    Socket sock = connect_to(HostPort{.host = host, .port = port}, transport);
    return finish(std::move(sock), client_ctx, server_name.empty() ? host : server_name);
}

KtlsConnection connect_ktls(const std::string& host, const std::string& port,
                            const KtlsOptions& options) {
    TlsContext ctx(ktls_settings(options, Role::client));
    return connect_ktls(host, port, ctx, options.transport, options.server_name);
}

KtlsConnection accept_ktls(int listen_fd, TlsContext& server_ctx) {
    return finish(accept_connection(listen_fd), server_ctx, "");
}

KtlsConnection accept_ktls(int listen_fd, const KtlsOptions& options) {
    TlsContext ctx(ktls_settings(options, Role::server));
    return finish(accept_connection(listen_fd), ctx, "");
}

} // namespace mptls
