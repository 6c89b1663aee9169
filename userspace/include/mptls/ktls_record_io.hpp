// SPDX-License-Identifier: MIT
// Reading and writing on a socket whose record crypto the kernel does.
// Non-data records reach userspace with a TLS_GET_RECORD_TYPE cmsg and are
// handled here, so callers only ever see application data.
#pragma once

#include <cstddef>
#include <functional>
#include <span>

namespace mptls {

// Largest TLS plaintext record (RFC 8446 §5.1, RFC 5246 §6.2.1).
inline constexpr std::size_t kMaxRecordPlaintext = 16384;

// Receives application data. Returns 0 once the peer's close_notify arrives.
// NewSessionTicket messages are consumed silently; fatal alerts and records
// we cannot handle (renegotiation, anything malformed) throw Error naming
// them. A TLS 1.3 KeyUpdate throws too: following one needs the traffic
// secrets (ktls_key_update.hpp, or ktls_recv(KtlsConnection&, ...)).
// buf must hold a full record (kMaxRecordPlaintext) so control records are
// never split across calls.
std::size_t ktls_recv(int fd, std::span<char> buf);

// As above, but a peer's KeyUpdate is handed to on_key_update (with its
// request_update flag) once its record was read, and reading goes on when
// it returns: by then the kernel must have the next RX key, since it opens
// no record after a KeyUpdate until then (reads fail with EKEYEXPIRED).
using KeyUpdateHandler = std::function<void(bool update_requested)>;
std::size_t ktls_recv(int fd, std::span<char> buf, const KeyUpdateHandler& on_key_update);

// What ktls_recv does with one record the kernel passed up.
enum class RecordAction {
    deliver,       // application data for the caller
    end_of_stream, // close_notify
    skip,          // nothing for the caller (session tickets, user_canceled)
    key_update,    // ends with a valid KeyUpdate, update_not_requested
    key_update_requested, // ends with a valid KeyUpdate, update_requested
};
// type: the TLS_GET_RECORD_TYPE value. Throws Error naming anything that
// must not be ignored (fatal alerts, renegotiation, unknown types, and a
// KeyUpdate that is malformed or not the last message of its record,
// RFC 8446 §4.6.3 and §5.1).
RecordAction classify_record(unsigned char type, std::span<const char> payload);

// The 5 bytes of a KeyUpdate handshake message (RFC 8446 §4.6.3).
struct KeyUpdateMessage {
    unsigned char bytes[5];
};
KeyUpdateMessage key_update_message(bool update_requested);
// Sends payload as one kernel TLS record of the given ContentType.
void ktls_send_record(int fd, unsigned char content_type, std::span<const unsigned char> payload);

// Sends the warning-level close_notify alert as a kernel TLS record.
void ktls_send_close_notify(int fd);

} // namespace mptls
