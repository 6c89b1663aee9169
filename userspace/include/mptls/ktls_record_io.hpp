// SPDX-License-Identifier: MIT
// Reading and writing on a socket whose record crypto the kernel does.
// Non-data records reach userspace with a TLS_GET_RECORD_TYPE cmsg and are
// handled here, so callers only ever see application data.
#pragma once

#include <cstddef>
#include <span>

namespace mptls {

// Largest TLS plaintext record (RFC 8446 §5.1, RFC 5246 §6.2.1).
inline constexpr std::size_t kMaxRecordPlaintext = 16384;

// Receives application data. Returns 0 once the peer's close_notify arrives.
// NewSessionTicket messages are consumed silently; fatal alerts and records
// we cannot handle (KeyUpdate, renegotiation) throw Error naming them.
// buf must hold a full record (kMaxRecordPlaintext) so control records are
// never split across calls.
std::size_t ktls_recv(int fd, std::span<char> buf);

// What ktls_recv does with one record the kernel passed up.
enum class RecordAction {
    deliver,       // application data for the caller
    end_of_stream, // close_notify
    skip,          // nothing for the caller (session tickets, user_canceled)
};
// type: the TLS_GET_RECORD_TYPE value. Throws Error naming anything that
// must not be ignored (fatal alerts, KeyUpdate, renegotiation, unknown types).
RecordAction classify_record(unsigned char type, std::span<const char> payload);

// Sends the warning-level close_notify alert as a kernel TLS record.
void ktls_send_close_notify(int fd);

} // namespace mptls
