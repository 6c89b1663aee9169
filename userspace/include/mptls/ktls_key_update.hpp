// SPDX-License-Identifier: MIT
// TLS 1.3 KeyUpdate (RFC 8446 §4.6.3) on a socket whose record crypto the
// kernel does, with the rekey semantics of mainline kTLS (Linux 6.14), which
// mptls.ko has on MPTCP: a further TLS_TX/TLS_RX installs the next key.
//
// One thread at a time: these write to the socket (our KeyUpdate) and
// change its keys, so a record another thread sends meanwhile could go out
// under the wrong key. Read and write from one thread, or serialise.
#pragma once

#include <cstddef>
#include <span>

#include "mptls/ktls.hpp"
#include "mptls/tls13_key_updater.hpp"

namespace mptls {

// Sends our KeyUpdate under the current TX key, then moves TX to the next
// key, so no application data record goes out between them. With
// request_peer the peer answers with a KeyUpdate of its own.
void ktls_send_key_update(const KtlsTarget& target, Tls13KeyUpdater& keys, bool request_peer);

// After the peer's KeyUpdate was read: moves RX to the peer's next key and,
// if the peer asked (update_requested), answers with our KeyUpdate and TX
// key before any more application data of ours, as §4.6.3 requires.
void ktls_follow_key_update(const KtlsTarget& target, Tls13KeyUpdater& keys, bool update_requested);

// ktls_recv() that follows the peer's KeyUpdates with keys.
std::size_t ktls_recv(const KtlsTarget& target, Tls13KeyUpdater& keys, std::span<char> buf);

} // namespace mptls
