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

// Returns normally when every message in the record may be ignored.
void handle_handshake_record(std::span<const char> rec) {
    std::size_t off = 0;
    while (off < rec.size()) {
        if (rec.size() - off < 4)
            throw Error("peer sent a handshake message split across records after the "
                        "handshake, which kernel offload cannot handle; use --offload user");
        const auto* p = reinterpret_cast<const unsigned char*>(rec.data() + off);
        const std::size_t len = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
        if (rec.size() - off - 4 < len)
            throw Error("peer sent a handshake message split across records after the "
                        "handshake, which kernel offload cannot handle; use --offload user");
        switch (p[0]) {
        case kNewSessionTicket:
            break; // we never resume sessions, so tickets are simply dropped
        case kKeyUpdate:
            throw Error("peer sent a TLS 1.3 KeyUpdate, which kernel offload does not "
                        "support yet; use --offload user for long-lived connections");
        case kHelloRequest:
            throw Error("peer asked for TLS renegotiation, which mptls does not support; "
                        "disable renegotiation on the peer");
        default:
            throw Error("peer sent unexpected handshake message type " + std::to_string(p[0]) +
                        " after the handshake; use --offload user to let OpenSSL handle it");
        }
        off += 4 + len;
    }
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
        handle_handshake_record(rec);
        return RecordAction::skip;
    default:
        throw Error("peer sent a TLS record of unsupported type " + std::to_string(type) +
                    " after the handshake");
    }
}

std::size_t ktls_recv(int fd, std::span<char> buf) {
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
        }
    }
}

void ktls_send_close_notify(int fd) {
    unsigned char alert[2] = {kAlertWarning, kCloseNotify};
    char cbuf[CMSG_SPACE(sizeof(unsigned char))] = {};
    iovec iov{.iov_base = alert, .iov_len = sizeof alert};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_TLS;
    c->cmsg_type = TLS_SET_RECORD_TYPE;
    c->cmsg_len = CMSG_LEN(sizeof(unsigned char));
    *CMSG_DATA(c) = kAlert;
    if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
        throw Error::from_errno("cannot send close_notify", errno);
}

} // namespace mptls
