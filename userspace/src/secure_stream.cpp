// SPDX-License-Identifier: MIT
#include "mptls/secure_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

#include <openssl/err.h>

#include "handshake_observer.hpp"
#include "tls_failure.hpp"
#include "mptls/error.hpp"
#include "mptls/ktls.hpp"
#include "mptls/ktls_key_update.hpp"
#include "mptls/ktls_record_io.hpp"

namespace mptls {
namespace {

// Room for one full record plus slack; also the user-mode read chunk.
constexpr std::size_t kRxBufferSize = kMaxRecordPlaintext + 1024;

} // namespace

SecureStream::SecureStream(Socket sock, Role role)
    : sock_(std::move(sock)), role_(role), observer_(std::make_unique<HandshakeObserver>(role)),
      rx_buf_(kRxBufferSize) {}

SecureStream::SecureStream(SecureStream&&) noexcept = default;
SecureStream& SecureStream::operator=(SecureStream&&) noexcept = default;
SecureStream::~SecureStream() = default;

SecureStream SecureStream::establish(Socket sock, TlsContext& ctx, const std::string& peer_name,
                                     const KernelPushOps& push) {
    SecureStream s(std::move(sock), ctx.settings().role);
    s.handshake(ctx, peer_name);
    if (ctx.settings().offload == Offload::kernel)
        s.offload_to_kernel(push, ctx.settings().key_updates);
    return s;
}

bool SecureStream::holds_tls_state() const noexcept {
    return ssl_ != nullptr || (observer_ != nullptr && observer_->holds_secrets()) ||
           key_updater_.has_value();
}

KtlsTarget SecureStream::kernel_target() const noexcept {
    return KtlsTarget{.fd = sock_.fd.get(), .mptcp_socket = sock_.is_mptcp, .version = version_,
                      .cipher = info_.cipher};
}

std::optional<Tls13KeyUpdater> SecureStream::take_key_updater() noexcept {
    return std::exchange(key_updater_, std::nullopt);
}

void SecureStream::update_keys(bool request_peer) {
    if (version_ != TlsVersion::tls13)
        throw Error("TLS 1.2 has no key update (a TLS 1.3 KeyUpdate needs --tls 1.3 on this "
                    "connection)");
    if (info_.tx_in_kernel) {
        if (!key_updater_)
            throw Error("this connection wiped its traffic secrets after the key push (key updates "
                        "turned off), so it cannot send a KeyUpdate; keep TlsSettings::key_updates on");
        ktls_send_key_update(kernel_target(), *key_updater_, request_peer);
        return;
    }
    SSL* ssl = ssl_.get();
    ERR_clear_error();
    if (SSL_key_update(ssl, request_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) != 1)
        throw Error::from_openssl("OpenSSL refused to start a key update");
    // SSL_key_update() only schedules the message: send it now, as the
    // kernel path does, not with the next application data.
    const int ret = SSL_do_handshake(ssl);
    const int err = SSL_get_error(ssl, ret);
    const int saved_errno = errno;
    if (ret != 1)
        throw Error(describe_ssl_failure(ssl, err, saved_errno, observer_->peer_alert(),
                                         "sending a TLS KeyUpdate failed"),
                    saved_errno);
}

KeyUpdateCounts SecureStream::key_updates() const noexcept {
    if (key_updater_)
        return {.sent = key_updater_->tx_updates(), .received = key_updater_->rx_updates()};
    if (observer_)
        return {.sent = observer_->key_updates(Flow::write), .received = observer_->key_updates(Flow::read)};
    return {};
}

// Once the kernel has both directions nothing needs OpenSSL again: wipe the
// traffic secrets we copied and free the SSL, which cleanses its own (and
// its session's master secret: the server keeps no session cache unless
// tickets were asked for).
void SecureStream::release_tls_state() noexcept {
    if (observer_) {
        observer_->wipe_secrets();
        if (ssl_)
            observer_->detach(ssl_.get());
    }
    ssl_.reset();
    observer_.reset();
}

Socket SecureStream::release_socket() && {
    if (!info_.tx_in_kernel || !info_.rx_in_kernel)
        throw Error("only a connection whose TLS records the kernel handles in both directions "
                    "can be handed over as a socket");
    if (rx_begin_ != rx_end_)
        throw Error("received data is still buffered in the TLS layer; read it before taking "
                    "the socket");
    release_tls_state();
    key_updater_.reset(); // cleansed by Secret's allocator
    return std::move(sock_);
}

void SecureStream::handshake(TlsContext& ctx, const std::string& peer_name) {
    ssl_ = ctx.new_ssl();
    if (SSL_set_fd(ssl_.get(), sock_.fd.get()) != 1)
        throw Error::from_openssl("cannot create an OpenSSL connection");
    SSL* ssl = ssl_.get();
    observer_->attach(ssl);

    if (role_ == Role::client) {
        SSL_set_connect_state(ssl);
        if (!is_ip_literal(peer_name) && SSL_set_tlsext_host_name(ssl, peer_name.c_str()) != 1)
            throw Error::from_openssl("cannot set SNI " + peer_name);
        if (ctx.settings().verify_peer) {
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
            const int ok = is_ip_literal(peer_name)
                               ? X509_VERIFY_PARAM_set1_ip_asc(param, peer_name.c_str())
                               : SSL_set1_host(ssl, peer_name.c_str());
            if (ok != 1)
                throw Error::from_openssl("cannot set the name to verify (" + peer_name + ")");
        }
    } else {
        SSL_set_accept_state(ssl);
    }

    const auto start = std::chrono::steady_clock::now();
    ERR_clear_error();
    const int ret = SSL_do_handshake(ssl);
    const int ssl_error = SSL_get_error(ssl, ret);
    const int saved_errno = errno;
    if (ret != 1)
        throw Error(describe_ssl_failure(ssl, ssl_error, saved_errno, observer_->peer_alert(),
                                         "TLS handshake with " + peer_address(sock_.fd.get()) +
                                             " failed"),
                    saved_errno);
    info_.handshake_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    version_ = SSL_version(ssl) == TLS1_3_VERSION ? TlsVersion::tls13 : TlsVersion::tls12;
    info_.tls_version = SSL_get_version(ssl);
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
    info_.cipher_suite = SSL_CIPHER_get_name(c);
    const std::string_view suite = info_.cipher_suite;
    // CCM_8 suites share the AES-128-CCM NID but use an 8-byte tag the
    // kernel does not support.
    if (suite.find("CCM8") == std::string_view::npos && suite.find("CCM_8") == std::string_view::npos)
        info_.cipher = find_cipher_by_nid(SSL_CIPHER_get_cipher_nid(c));
}

std::pair<KernelCryptoInfo, KernelCryptoInfo> SecureStream::kernel_crypto_info() const {
    if (info_.cipher == nullptr)
        throw Error("the negotiated suite " + info_.cipher_suite +
                    " cannot be offloaded to kernel TLS: pick one with --cipher " +
                    std::string(cipher_names()) + ", or use --offload user");
    if (!ssl_ || !observer_)
        throw Error("the TLS keys were handed to the kernel and wiped; they are no longer "
                    "available");
    SSL* ssl = ssl_.get();
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
    // For TLS 1.2 suites this is the PRF hash, for TLS 1.3 the HKDF hash.
    const EVP_MD* md = SSL_CIPHER_get_handshake_digest(c);
    if (md == nullptr)
        throw Error::from_openssl("cannot find the hash of suite " + info_.cipher_suite);

    TrafficKeys client_write, server_write;
    if (version_ == TlsVersion::tls12) {
        const SSL_SESSION* session = SSL_get_session(ssl);
        Secret master(SSL_SESSION_get_master_key(session, nullptr, 0));
        SSL_SESSION_get_master_key(session, master.data(), master.size());
        unsigned char client_random[SSL3_RANDOM_SIZE], server_random[SSL3_RANDOM_SIZE];
        SSL_get_client_random(ssl, client_random, sizeof client_random);
        SSL_get_server_random(ssl, server_random, sizeof server_random);
        Tls12KeyBlock kb = tls12_traffic_keys(md, master, client_random, server_random, *info_.cipher);
        client_write = std::move(kb.client_write);
        server_write = std::move(kb.server_write);
    } else {
        if (!observer_->keylog_error().empty())
            throw Error("internal error: " + observer_->keylog_error());
        if (observer_->client_app_secret().empty() || observer_->server_app_secret().empty())
            throw Error("internal error: OpenSSL did not report the TLS 1.3 traffic secrets "
                        "(was the SSL_CTX key-log callback replaced during the handshake?)");
        client_write = tls13_traffic_keys(md, observer_->client_app_secret(), *info_.cipher);
        server_write = tls13_traffic_keys(md, observer_->server_app_secret(), *info_.cipher);
    }
    const bool client = role_ == Role::client;
    const TrafficKeys& tx = client ? client_write : server_write;
    const TrafficKeys& rx = client ? server_write : client_write;
    return {pack_crypto_info(version_, *info_.cipher, tx,
                             observer_->next_record_seq(Flow::write, version_)),
            pack_crypto_info(version_, *info_.cipher, rx,
                             observer_->next_record_seq(Flow::read, version_))};
}

// The switch happens right after SSL_do_handshake() returned 1 and before
// the application called SSL_read/SSL_write even once:
//  - TLS 1.2: both Finished messages (record 0 under the new keys) are done,
//    so the kernel starts at record 1 in each direction.
//  - TLS 1.3 client: it has read the server Finished and written its own;
//    no application record was read or written yet, so both start at 0.
//    NewSessionTickets the server sent are read later by the kernel and
//    dropped in ktls_recv().
//  - TLS 1.3 server: OpenSSL already wrote its NewSessionTickets with the
//    application key, so TX starts at the number of those records; RX at 0.
// The observer counts records instead of assuming these numbers. With
// read-ahead off OpenSSL never reads past the record it processes, so the
// socket holds every byte the kernel must decrypt; should OpenSSL still
// hold data, decrypted plaintext is kept in our buffer (it was counted) and
// a partial record is an error rather than silent corruption. From here on
// OpenSSL never touches the socket again (no SSL_read/write/shutdown).
void SecureStream::offload_to_kernel(const KernelPushOps& push, bool keep_traffic_secrets) {
    SSL* ssl = ssl_.get();
    while (SSL_pending(ssl) > 0) {
        std::size_t n = 0;
        const std::size_t room = rx_buf_.size() - rx_end_;
        if (room == 0 || SSL_read_ex(ssl, rx_buf_.data() + rx_end_, std::min<std::size_t>(room, SSL_pending(ssl)), &n) != 1)
            throw Error::from_openssl("cannot drain OpenSSL's buffered data before kernel offload");
        rx_end_ += n;
    }
    if (SSL_has_pending(ssl))
        throw Error("OpenSSL holds part of a TLS record, so the connection cannot be handed "
                    "to the kernel; use --offload user");

    {
        // Both crypto_info copies are cleansed by their destructor at the
        // end of this block, right after the push (or its failure).
        const auto [tx, rx] = kernel_crypto_info();
        const KtlsTarget target{.fd = sock_.fd.get(), .mptcp_socket = sock_.is_mptcp,
                                .version = version_, .cipher = info_.cipher};
        push.attach_ulp(target);
        push.push(target, KtlsStep::set_tx, tx);
        info_.tx_in_kernel = true;
        info_.tx_seq_at_switch = observer_->next_record_seq(Flow::write, version_);
        push.push(target, KtlsStep::set_rx, rx);
        info_.rx_in_kernel = true;
        info_.rx_seq_at_switch = observer_->next_record_seq(Flow::read, version_);
    }
    if (version_ == TlsVersion::tls13 && keep_traffic_secrets) {
        const bool client = role_ == Role::client;
        const Secret& c = observer_->client_app_secret();
        const Secret& s = observer_->server_app_secret();
        key_updater_.emplace(SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl)), *info_.cipher,
                             client ? c : s, client ? s : c);
    }
    release_tls_state();
}

std::size_t SecureStream::fill_from_transport(std::span<char> out) {
    if (peer_closed_)
        return 0;
    if (info_.rx_in_kernel) {
        const std::size_t n = key_updater_ ? ktls_recv(kernel_target(), *key_updater_, out)
                                           : ktls_recv(sock_.fd.get(), out);
        peer_closed_ = n == 0;
        return n;
    }
    SSL* ssl = ssl_.get();
    for (;;) {
        std::size_t n = 0;
        ERR_clear_error();
        const int ret = SSL_read_ex(ssl, out.data(), out.size(), &n);
        const int err = SSL_get_error(ssl, ret);
        const int saved_errno = errno;
        if (ret == 1)
            return n;
        if (err == SSL_ERROR_ZERO_RETURN) {
            peer_closed_ = true;
            return 0;
        }
        if (err == SSL_ERROR_WANT_READ)
            continue;
        if (is_unexpected_eof(err, saved_errno)) {
            ERR_clear_error();
            throw Error("peer closed the connection without close_notify: the data may be "
                        "truncated; check the peer's log");
        }
        throw Error(describe_ssl_failure(ssl, err, saved_errno, observer_->peer_alert(),
                                         "TLS receive failed"),
                    saved_errno);
    }
}

std::size_t SecureStream::read_some(std::span<char> out) {
    if (out.empty())
        return 0;
    if (rx_begin_ == rx_end_) {
        rx_begin_ = rx_end_ = 0;
        // Large reads go straight to the caller to save a copy.
        if (out.size() >= kMaxRecordPlaintext)
            return fill_from_transport(out);
        rx_end_ = fill_from_transport(rx_buf_);
        if (rx_end_ == 0)
            return 0;
    }
    const std::size_t n = std::min(out.size(), rx_end_ - rx_begin_);
    std::memcpy(out.data(), rx_buf_.data() + rx_begin_, n);
    rx_begin_ += n;
    return n;
}

bool SecureStream::read_exact(std::span<char> out) {
    while (!out.empty()) {
        const std::size_t n = read_some(out);
        if (n == 0)
            return false;
        out = out.subspan(n);
    }
    return true;
}

std::optional<std::string> SecureStream::read_line(std::size_t max_len) {
    std::string line;
    for (;;) {
        if (rx_begin_ == rx_end_) {
            rx_begin_ = 0;
            rx_end_ = fill_from_transport(rx_buf_);
            if (rx_end_ == 0) {
                if (line.empty())
                    return std::nullopt;
                throw Error("peer closed the connection in the middle of a line");
            }
        }
        const char* begin = rx_buf_.data() + rx_begin_;
        const char* end = rx_buf_.data() + rx_end_;
        const char* nl = std::find(begin, end, '\n');
        line.append(begin, nl);
        rx_begin_ += static_cast<std::size_t>(nl - begin);
        if (line.size() > max_len)
            throw Error("peer sent a line longer than " + std::to_string(max_len) + " bytes");
        if (nl != end) {
            ++rx_begin_;
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            return line;
        }
    }
}

void SecureStream::write_all(std::span<const char> data) {
    while (!data.empty()) {
        if (info_.tx_in_kernel) {
            const ssize_t n = ::send(sock_.fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                throw Error::from_errno("send failed", errno);
            }
            data = data.subspan(static_cast<std::size_t>(n));
            continue;
        }
        std::size_t n = 0;
        ERR_clear_error();
        const int ret = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
        const int err = SSL_get_error(ssl_.get(), ret);
        const int saved_errno = errno;
        if (ret != 1)
            throw Error(describe_ssl_failure(ssl_.get(), err, saved_errno, observer_->peer_alert(),
                                             "TLS send failed"),
                        saved_errno);
        data = data.subspan(n);
    }
}

void SecureStream::send_file(int file_fd, std::uint64_t offset, std::uint64_t len) {
    if (info_.tx_in_kernel) {
        off_t off = static_cast<off_t>(offset);
        while (len > 0) {
            const ssize_t n = ::sendfile(sock_.fd.get(), file_fd, &off, static_cast<std::size_t>(std::min<std::uint64_t>(len, 1u << 30)));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                throw Error::from_errno("sendfile failed", errno);
            }
            if (n == 0)
                throw Error("file ended before the expected length (was it truncated?)");
            len -= static_cast<std::uint64_t>(n);
        }
        return;
    }
    std::vector<char> chunk(256 * 1024);
    while (len > 0) {
        const ssize_t n = ::pread(file_fd, chunk.data(), std::min<std::uint64_t>(len, chunk.size()),
                                  static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error::from_errno("cannot read the file to send", errno);
        }
        if (n == 0)
            throw Error("file ended before the expected length (was it truncated?)");
        write_all({chunk.data(), static_cast<std::size_t>(n)});
        offset += static_cast<std::uint64_t>(n);
        len -= static_cast<std::uint64_t>(n);
    }
}

void SecureStream::send_close_notify() {
    if (close_notify_sent_)
        return;
    close_notify_sent_ = true;
    if (info_.tx_in_kernel) {
        ktls_send_close_notify(sock_.fd.get());
        return;
    }
    ERR_clear_error();
    if (SSL_shutdown(ssl_.get()) < 0)
        throw Error::from_openssl("cannot send close_notify");
}

} // namespace mptls
