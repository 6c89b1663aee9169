// SPDX-License-Identifier: MIT
// Command line of the `mptls` tool: parsing and validation only.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mptls/address.hpp"
#include "mptls/error.hpp"
#include "mptls/socket.hpp"
#include "mptls/tls_context.hpp"

namespace mptls::tool {

enum class Command { server, client, gen_ca, help };
enum class Direction { up, down }; // up: client -> server

struct Options {
    Command command = Command::help;

    // Shared by client and server.
    VersionChoice tls = VersionChoice::any;
    const CipherSpec* cipher = nullptr; // nullptr: OpenSSL's default choice
    Offload offload = Offload::kernel;
    Transport transport = Transport::mptcp;
    bool verify = false;
    bool json = false;
    std::string keylog;
    std::string send_file;
    std::string marker;

    // Server.
    std::optional<HostPort> listen;
    std::string cert, key;
    std::uint64_t count = 1; // 0 = forever
    std::string http_root;
    std::string ready_file;

    // Client.
    std::optional<HostPort> connect;
    std::string ca;
    bool insecure = false;
    std::string servername;
    std::optional<std::uint64_t> bytes;
    Direction direction = Direction::up;
    std::vector<std::string> get_paths;

    // gen-ca.
    std::string pki_dir;
    std::vector<std::string> sans;
};

// A mistake on the command line (exit code 2).
class UsageError : public Error {
public:
    using Error::Error;
};

// args excludes argv[0]. Throws UsageError.
Options parse_command_line(std::span<const std::string> args);

inline constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// A whole string of ASCII digits as a uint64: no sign, no space, no suffix.
struct DecimalParse {
    enum Status { ok, not_a_number, too_large } status = not_a_number;
    std::uint64_t value = 0;
};
DecimalParse parse_decimal(std::string_view text);

// "10M" -> 10485760; suffixes k, M, G (powers of 1024). Throws UsageError,
// naming option and, for a count past 2^64 - 1 bytes, that limit.
std::uint64_t parse_byte_count(const std::string& text, const std::string& option);

std::string usage_text();

} // namespace mptls::tool
