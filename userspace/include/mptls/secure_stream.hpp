// SPDX-License-Identifier: MIT
// A TLS connection over an (MPTCP or TCP) socket. After the handshake the
// record crypto runs either in OpenSSL (Offload::user) or in the kernel
// (Offload::kernel): the keys are pushed with TLS_TX/TLS_RX and the socket
// is then read and written directly.
//
// Writes can raise SIGPIPE when the peer is gone (sendfile(2) and OpenSSL's
// socket BIO do not pass MSG_NOSIGNAL): programs should ignore SIGPIPE and
// get EPIPE errors instead, as the mptls tool does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mptls/cipher_table.hpp"
#include "mptls/ktls.hpp"
#include "mptls/record_keys.hpp"
#include "mptls/socket.hpp"
#include "mptls/tls13_key_updater.hpp"
#include "mptls/tls_context.hpp"

namespace mptls {

class HandshakeObserver;

// TLS 1.3 KeyUpdate messages of one connection since the handshake.
struct KeyUpdateCounts {
    std::uint64_t sent = 0;     // ours: asked for, or answering the peer
    std::uint64_t received = 0; // the peer's
};

struct StreamInfo {
    std::string tls_version;          // "TLSv1.3"
    std::string cipher_suite;         // OpenSSL's suite name
    const CipherSpec* cipher = nullptr; // nullptr if kernel TLS lacks the suite
    bool tx_in_kernel = false;
    bool rx_in_kernel = false;
    std::uint64_t tx_seq_at_switch = 0; // record numbers handed to the kernel
    std::uint64_t rx_seq_at_switch = 0;
    double handshake_ms = 0;
};

// How keys reach the kernel. The default is attach_tls_ulp() and
// push_crypto_info() (setsockopt); tests substitute their own.
struct KernelPushOps {
    void (*attach_ulp)(const KtlsTarget&) = &attach_tls_ulp;
    void (*push)(const KtlsTarget&, KtlsStep, const KernelCryptoInfo&) = &push_crypto_info;
};

class SecureStream {
public:
    // Runs the handshake on sock (client: peer_name is verified and sent as
    // SNI unless it is an IP literal) and, with Offload::kernel, moves the
    // record layer into the kernel before returning.
    //
    // Once the kernel has both directions, the SSL object is freed and
    // every copy of the handshake's secrets is wiped (OPENSSL_cleanse);
    // kernel_crypto_info() then throws. TLS 1.3 keeps exactly two secrets,
    // our current client and server application traffic secrets, in a
    // Tls13KeyUpdater: the kernel's keys cannot give the next ones, and
    // following a KeyUpdate needs them. TlsSettings::key_updates = false
    // wipes them too (then a peer's KeyUpdate is an error).
    static SecureStream establish(Socket sock, TlsContext& ctx, const std::string& peer_name,
                                  const KernelPushOps& push = {});

    SecureStream(SecureStream&&) noexcept;
    SecureStream& operator=(SecureStream&&) noexcept;
    ~SecureStream();

    // Application data; returns 0 once the peer sent close_notify.
    std::size_t read_some(std::span<char> out);
    // Fills out completely; false if close_notify came first (partial data lost).
    bool read_exact(std::span<char> out);
    // A line ending in "\n" (the "\r\n" or "\n" is stripped); nullopt at
    // close_notify before any byte. Throws if longer than max_len.
    std::optional<std::string> read_line(std::size_t max_len);

    void write_all(std::span<const char> data);
    // Sends len bytes of file_fd from offset: sendfile(2) when the kernel
    // does the record crypto, pread + SSL_write otherwise.
    void send_file(int file_fd, std::uint64_t offset, std::uint64_t len);
    // Sends our close_notify (once).
    void send_close_notify();
    // True once the peer's close_notify has been read.
    bool peer_closed() const noexcept { return peer_closed_; }

    // The secrets the kernel gets (or would get) for our TX and RX right now.
    // Throws once they were handed to the kernel and wiped.
    std::pair<KernelCryptoInfo, KernelCryptoInfo> kernel_crypto_info() const;

    // TLS 1.3: sends our KeyUpdate now and moves our sending key on; with
    // request_peer the peer must update its own too (RFC 8446 §4.6.3). A
    // peer's KeyUpdate is followed inside the read calls. Kernel offload
    // uses ktls_send_key_update(); Offload::user, OpenSSL's SSL_key_update().
    // Throws for TLS 1.2 (no key update exists) and when key updates were
    // turned off (TlsSettings::key_updates).
    void update_keys(bool request_peer);
    KeyUpdateCounts key_updates() const noexcept;

    // Whether this object still holds TLS state: the OpenSSL connection or
    // traffic secrets. After a complete kernel offload: true only for
    // TLS 1.3 with key updates on (the two current traffic secrets).
    bool holds_tls_state() const noexcept;

    // Hands the socket over (kernel offload of both directions only): the
    // caller reads and writes it directly, e.g. with ktls_recv(). Throws if
    // plaintext OpenSSL had already decrypted is still unread here. The
    // traffic secrets are wiped unless take_key_updater() took them first.
    Socket release_socket() &&;
    // TLS 1.3 kernel offload with key updates on: the secrets, to follow
    // KeyUpdates on the released socket (ktls_key_update.hpp); else nullopt.
    std::optional<Tls13KeyUpdater> take_key_updater() noexcept;

    int fd() const noexcept { return sock_.fd.get(); }
    const Socket& socket() const noexcept { return sock_; }
    const StreamInfo& info() const noexcept { return info_; }
    TlsVersion version() const noexcept { return version_; }

private:
    SecureStream(Socket sock, Role role);
    void handshake(TlsContext& ctx, const std::string& peer_name);
    void offload_to_kernel(const KernelPushOps& push, bool keep_traffic_secrets);
    KtlsTarget kernel_target() const noexcept;
    void release_tls_state() noexcept;
    std::size_t fill_from_transport(std::span<char> out);

    Socket sock_;
    Role role_;
    TlsVersion version_ = TlsVersion::tls13;
    std::unique_ptr<HandshakeObserver> observer_;
    ossl::UniquePtr<SSL> ssl_;
    std::optional<Tls13KeyUpdater> key_updater_; // TLS 1.3 kernel offload only
    StreamInfo info_;
    bool close_notify_sent_ = false;
    bool peer_closed_ = false;
    // Plaintext received but not yet handed to the caller.
    std::vector<char> rx_buf_;
    std::size_t rx_begin_ = 0, rx_end_ = 0;
};

} // namespace mptls
