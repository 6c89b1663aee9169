// SPDX-License-Identifier: MIT
#include "mptls/ktls_record_io.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <linux/tls.h>

#include <openssl/ssl.h>

#include "mptls/error.hpp"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace mptls {
namespace {

// TLS ContentType (RFC 8446 §5.1) and HandshakeType (RFC 8446 §4) values.
constexpr unsigned char kAlert = 21, kHandshake = 22, kApplicationData = 23;
constexpr unsigned char kHelloRequest = 0, kNewSessionTicket = 4, kKeyUpdate = 24;
constexpr unsigned char kAlertWarning = 1, kCloseNotify = 0, kUserCanceled = 90;

std::string alert_name(unsigned char level, unsigned char desc) {
    return SSL_alert_desc_string_long((level << 8) | desc);
}

// KeyUpdate's request_update values (RFC 8446 §4.6.3).
constexpr unsigned char kUpdateNotRequested = 0, kUpdateRequested = 1;

[[noreturn]] void split_message() {
    throw Error("peer sent a handshake message split across records after the "
                "handshake, which kernel offload cannot handle; use --offload user");
}

// Returns skip when every message in the record may be ignored, or a
// key_update action when the record ends with a valid KeyUpdate.
RecordAction handle_handshake_record(std::span<const char> rec) {
    std::size_t off = 0;
    while (off < rec.size()) {
        if (rec.size() - off < 4)
            split_message();
        const auto* p = reinterpret_cast<const unsigned char*>(rec.data() + off);
        const std::size_t len = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
        if (rec.size() - off - 4 < len)
            split_message();
        switch (p[0]) {
        case kNewSessionTicket:
            break; // we never resume sessions, so tickets are simply dropped
        case kKeyUpdate:
            // RFC 8446 §4.6.3: one byte, 0 or 1 (else illegal_parameter);
            // §5.1: the last message before a key change ends its record.
            if (len != 1 || p[4] > kUpdateRequested)
                throw Error("peer sent a malformed TLS 1.3 KeyUpdate (length " + std::to_string(len) +
                            (len >= 1 ? ", value " + std::to_string(p[4]) : std::string()) +
                            "; RFC 8446 allows one byte, 0 or 1), so the connection cannot go on; "
                            "check the peer's TLS library");
            if (off + 4 + len != rec.size())
                throw Error("peer sent a TLS 1.3 KeyUpdate that is not the last message of its "
                            "record, which RFC 8446 §5.1 forbids, so the connection cannot go on; "
                            "check the peer's TLS library");
            return p[4] == kUpdateRequested ? RecordAction::key_update_requested
                                            : RecordAction::key_update;
        case kHelloRequest:
            throw Error("peer asked for TLS renegotiation, which mptls does not support; "
                        "disable renegotiation on the peer");
        default:
            throw Error("peer sent unexpected handshake message type " + std::to_string(p[0]) +
                        " after the handshake; use --offload user to let OpenSSL handle it");
        }
        off += 4 + len;
    }
    return RecordAction::skip;
}

} // namespace

RecordAction classify_record(unsigned char type, std::span<const char> rec) {
    switch (type) {
    case kApplicationData:
        return RecordAction::deliver;
    case kAlert: {
        if (rec.size() < 2)
            throw Error("peer sent a malformed alert record");
        const auto level = static_cast<unsigned char>(rec[0]);
        const auto desc = static_cast<unsigned char>(rec[1]);
        if (desc == kCloseNotify)
            return RecordAction::end_of_stream;
        if (level == kAlertWarning && desc == kUserCanceled)
            return RecordAction::skip; // RFC 8446 §6.1: close_notify follows
        throw Error("peer sent TLS alert \"" + alert_name(level, desc) + "\"");
    }
    case kHandshake:
        return handle_handshake_record(rec);
    default:
        throw Error("peer sent a TLS record of unsupported type " + std::to_string(type) +
                    " after the handshake");
    }
}

std::size_t ktls_recv(int fd, std::span<char> buf) {
    return ktls_recv(fd, buf, [](bool) {
        throw Error("peer sent a TLS 1.3 KeyUpdate, but this connection kept no traffic secrets to "
                    "follow it (TLS 1.2, key updates turned off, or a bare ktls_recv(fd)); keep them "
                    "(the default of connect_ktls/accept_ktls with ktls_recv(KtlsConnection&)), or "
                    "use --offload user");
    });
}

std::size_t ktls_recv(int fd, std::span<char> buf, const KeyUpdateHandler& on_key_update) {
    if (buf.size() < kMaxRecordPlaintext)
        throw Error("internal error: ktls_recv needs a buffer of a full TLS record");
    for (;;) {
        char cbuf[CMSG_SPACE(sizeof(unsigned char))] = {};
        iovec iov{.iov_base = buf.data(), .iov_len = buf.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof cbuf;

        const ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EBADMSG)
                throw Error("a record failed authentication in the kernel (EBADMSG): the "
                            "peer's keys or record numbers disagree; retry with --offload user "
                            "to compare", EBADMSG);
            if (errno == EKEYEXPIRED)
                throw Error("the kernel waits for the receive key that follows the peer's KeyUpdate "
                            "(EKEYEXPIRED), which was read elsewhere; read this socket with one "
                            "ktls_recv that follows key updates", EKEYEXPIRED);
            throw Error::from_errno("receive failed", errno);
        }
        if (n == 0)
            throw Error("peer closed the connection without close_notify: the data may be "
                        "truncated; check the peer's log", 0);

        unsigned char type = kApplicationData;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE)
                type = *CMSG_DATA(c);

        switch (classify_record(type, buf.first(static_cast<std::size_t>(n)))) {
        case RecordAction::deliver: return static_cast<std::size_t>(n);
        case RecordAction::end_of_stream: return 0;
        case RecordAction::skip: continue;
        case RecordAction::key_update: on_key_update(false); continue;
        case RecordAction::key_update_requested: on_key_update(true); continue;
        }
    }
}

KeyUpdateMessage key_update_message(bool update_requested) {
    // HandshakeType, uint24 length 1, KeyUpdateRequest.
    return {{kKeyUpdate, 0, 0, 1, update_requested ? kUpdateRequested : kUpdateNotRequested}};
}

void ktls_send_record(int fd, unsigned char content_type, std::span<const unsigned char> payload) {
    char cbuf[CMSG_SPACE(sizeof(unsigned char))] = {};
    iovec iov{.iov_base = const_cast<unsigned char*>(payload.data()), .iov_len = payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_TLS;
    c->cmsg_type = TLS_SET_RECORD_TYPE;
    c->cmsg_len = CMSG_LEN(sizeof(unsigned char));
    *CMSG_DATA(c) = content_type;
    for (;;) {
        const ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0 && static_cast<std::size_t>(n) == payload.size())
            return;
        if (n < 0 && errno == EINTR)
            continue;
        // A control record goes out whole or the connection is unusable.
        throw Error::from_errno(content_type == kAlert ? "cannot send close_notify"
                                                       : "cannot send a TLS handshake record",
                                n < 0 ? errno : EIO);
    }
}

void ktls_send_close_notify(int fd) {
    const unsigned char alert[2] = {kAlertWarning, kCloseNotify};
    ktls_send_record(fd, kAlert, alert);
}

} // namespace mptls
