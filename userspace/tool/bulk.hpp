// SPDX-License-Identifier: MIT
// The bulk-transfer workload. The client opens with one request line
//   MPTLS-BULK/1 <up|down> <bytes> <verify|noverify>\n
// and the server answers "OK <bytes>\n" (the length it will send or accept)
// or "ERR <sentence>\n". Then the sender writes exactly <bytes> bytes. With
// verify, the sender follows with the 32-byte SHA-256 of what it sent; the
// receiver compares it with its own and answers with its own digest, so
// both ends check and both report a mismatch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli.hpp"
#include "mptls/secure_stream.hpp"
#include "report.hpp"

namespace mptls::tool {

struct BulkSettings {
    bool verify = false;
    std::string marker;     // fill generated payload with this text
    std::string send_file;  // send this file instead of generated payload
    ProgressMode progress = ProgressMode::never;
    std::uint64_t key_update_every = 0; // --key-update-every; 0: off
};

TransferResult run_bulk_client(SecureStream& s, Direction direction, std::uint64_t bytes,
                               const BulkSettings& settings);

bool is_bulk_request(const std::string& first_line);

// The request line, parsed (pure; fuzzed). nullopt unless it is exactly
// "MPTLS-BULK/1 <up|down> <decimal bytes> <verify|noverify>".
struct BulkRequest {
    Direction direction = Direction::up;
    std::uint64_t bytes = 0;
    bool verify = false;
};
std::optional<BulkRequest> parse_bulk_request(std::string_view line);
// The server's "OK <decimal bytes>" answer; nullopt for anything else.
std::optional<std::uint64_t> parse_bulk_reply(std::string_view line);
TransferResult serve_bulk(SecureStream& s, const std::string& request_line,
                          const BulkSettings& settings);

} // namespace mptls::tool
