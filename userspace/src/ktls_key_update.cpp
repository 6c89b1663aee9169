// SPDX-License-Identifier: MIT
#include "mptls/ktls_key_update.hpp"

#include "mptls/ktls_record_io.hpp"

namespace mptls {
namespace {

constexpr unsigned char kHandshake = 22; // ContentType (RFC 8446 §5.1)

} // namespace

void ktls_send_key_update(const KtlsTarget& target, Tls13KeyUpdater& keys, bool request_peer) {
    const KeyUpdateMessage m = key_update_message(request_peer);
    ktls_send_record(target.fd, kHandshake, m.bytes);
    // Destroyed (cleansed) right after the push, or its failure.
    const KernelCryptoInfo next = keys.next_tx();
    push_crypto_info(target, KtlsStep::update_tx, next);
}

void ktls_follow_key_update(const KtlsTarget& target, Tls13KeyUpdater& keys, bool update_requested) {
    {
        const KernelCryptoInfo next = keys.next_rx();
        push_crypto_info(target, KtlsStep::update_rx, next);
    }
    // Not requested: the peer's answer to our own request, or its own
    // choice; answering it would start an endless exchange.
    if (update_requested)
        ktls_send_key_update(target, keys, false);
}

std::size_t ktls_recv(const KtlsTarget& target, Tls13KeyUpdater& keys, std::span<char> buf) {
    return ktls_recv(target.fd, buf,
                     [&](bool update_requested) { ktls_follow_key_update(target, keys, update_requested); });
}

} // namespace mptls
