// SPDX-License-Identifier: MIT
// The short way: handshake, push the keys into the kernel, hand me the fd.
//
//   mptls::KtlsConnection c = mptls::connect_ktls("example.org", "443");
//   ::send(c.fd(), request.data(), request.size(), MSG_NOSIGNAL);
//   char buf[mptls::kMaxRecordPlaintext];
//   while (std::size_t n = mptls::ktls_recv(c, buf)) ...
//   mptls::ktls_send_close_notify(c.fd());
//
// The returned socket carries TLS records in the kernel in both directions
// (kTLS on TCP, mptls.ko on MPTCP); no OpenSSL object is left in this
// process. What is left of the keys: nothing for TLS 1.2; for TLS 1.3, our
// two current application traffic secrets (c.keys, wiped on every update
// and on destruction), because the kernel's keys cannot give the next
// ones and a KeyUpdate from the peer must be followed (RFC 8446 §4.6.3).
// KtlsOptions::key_updates = false keeps nothing; a peer's KeyUpdate then
// ends the connection with an error.
//
// Write with send/write/sendfile/splice. Read with ktls_recv(c, buf),
// which follows the peer's KeyUpdates (answering a requested one with our
// own): a plain read() fails with EIO on a non-data record (a session
// ticket from the server, a KeyUpdate, an alert, close_notify), and with
// EKEYEXPIRED after a KeyUpdate until the next key is in. Update our keys
// with ktls_update_keys(c, ...). Key updates write to the socket and change
// its keys: do them, and ktls_recv(c, ...), from the thread that writes,
// or serialise. On plain TCP, kernels before 6.14 cannot change keys, so a
// key update there fails with an Error saying so. Errors throw
// mptls::Error.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "mptls/cipher_table.hpp"
#include "mptls/ktls_key_update.hpp"
#include "mptls/ktls_record_io.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/socket.hpp"
#include "mptls/tls_context.hpp"

namespace mptls {

struct KtlsOptions {
    Transport transport = Transport::mptcp; // falls back to TCP if MPTCP is off (see Socket::note)
    VersionChoice version = VersionChoice::any;
    const CipherSpec* cipher = nullptr; // nullptr: any suite the kernel can take
    // Client.
    std::string server_name; // verified name and SNI; empty: the host connected to
    std::string ca_file;     // PEM trust anchors; empty: the system store
    bool verify_peer = true;
    // Server.
    std::string cert_file;
    std::string key_file;
    bool session_tickets = false;
    // Both: NSS key log file for debugging (holds secrets); empty: off.
    std::string keylog_file;
    // TLS 1.3: keep the traffic secrets for KeyUpdates (see above).
    bool key_updates = true;
};

struct KtlsConnection {
    Socket socket;   // owns the fd
    StreamInfo info; // version, suite, record numbers at the switch
    // TLS 1.3 with key updates on: the current traffic secrets; else empty.
    std::optional<Tls13KeyUpdater> keys;
    int fd() const noexcept { return socket.fd.get(); }
};

// Application data, as ktls_recv(fd, buf), following the peer's KeyUpdates.
std::size_t ktls_recv(KtlsConnection& c, std::span<char> buf);
// Sends our KeyUpdate and moves our sending key on; request_peer asks the
// peer to do the same. Throws for TLS 1.2 or with key updates off.
void ktls_update_keys(KtlsConnection& c, bool request_peer);
KeyUpdateCounts ktls_key_updates(const KtlsConnection& c) noexcept;

// The TlsSettings KtlsOptions stand for (Offload::kernel), to build one
// TlsContext and reuse it across connections.
TlsSettings ktls_settings(const KtlsOptions& options, Role role);

// Connects (every address host resolves to, in order) and runs the client
// handshake.
KtlsConnection connect_ktls(const std::string& host, const std::string& port,
                            const KtlsOptions& options = {});
KtlsConnection connect_ktls(const std::string& host, const std::string& port,
                            TlsContext& client_ctx, Transport transport,
                            const std::string& server_name = {});

// Accepts one connection on a listening socket (MPTCP or TCP) and runs the
// server handshake. The context overload avoids reloading the key per call.
KtlsConnection accept_ktls(int listen_fd, const KtlsOptions& options);
KtlsConnection accept_ktls(int listen_fd, TlsContext& server_ctx);

} // namespace mptls
