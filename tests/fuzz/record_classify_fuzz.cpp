// SPDX-License-Identifier: MIT
// libFuzzer target for classify_record (userspace/src/ktls_record_io.cpp):
// what the tool does with a non-data record the kernel hands up after the
// key push (alerts, post-handshake messages, unknown types). The first byte
// is the TLS_GET_RECORD_TYPE value, the rest the record's plaintext (at most
// one full record, as ktls_recv's buffer holds). Invariants: the only
// exception is mptls::Error (the connection ends with its sentence);
// application data is always delivered, and only application data is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mptls/error.hpp"
#include "fuzz_check.hpp"
#include "mptls/ktls_record_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size - 1 > mptls::kMaxRecordPlaintext)
        return 0;
    const unsigned char type = data[0];
    const std::span<const char> rec(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        const mptls::RecordAction a = mptls::classify_record(type, rec);
        check((a == mptls::RecordAction::deliver) == (type == 23));
    } catch (const mptls::Error&) {
        check(type != 23);
    }
    return 0;
}
