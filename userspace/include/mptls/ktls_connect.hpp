// SPDX-License-Identifier: MIT
// The short way: handshake, push the keys into the kernel, hand me the fd.
//
//   mptls::KtlsConnection c = mptls::connect_ktls("example.org", "443");
//   ::send(c.fd(), request.data(), request.size(), MSG_NOSIGNAL);
//   char buf[mptls::kMaxRecordPlaintext];
//   while (std::size_t n = mptls::ktls_recv(c.fd(), buf)) ...
//   mptls::ktls_send_close_notify(c.fd());
//
// The returned socket carries TLS records in the kernel in both directions
// (kTLS on TCP, mptls.ko on MPTCP); no OpenSSL object and no copy of the
// keys is left in this process. Write with send/write/sendfile/splice.
// Read with ktls_recv() (<mptls/ktls_record_io.hpp>): a plain read() fails
// with EIO on a non-data record (a session ticket from the server, an
// alert, close_notify). Errors throw mptls::Error.
#pragma once

#include <string>

#include "mptls/cipher_table.hpp"
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
};

struct KtlsConnection {
    Socket socket;   // owns the fd
    StreamInfo info; // version, suite, record numbers at the switch
    int fd() const noexcept { return socket.fd.get(); }
};

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
