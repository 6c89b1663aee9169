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

enum class Command { server, client, gen_ca, help, version };
enum class Direction { up, down }; // up: client -> server
// automatic: a progress line when stderr is a terminal; --progress forces
// it (into a log file, one line each update), --no-progress turns it off.
enum class ProgressMode { automatic, always, never };

// How many connections a server handles at once unless --max-conns says.
inline constexpr std::uint64_t kDefaultMaxConns = 64;

struct Options {
    Command command = Command::help;
    // Command::help: whose help to print; nullopt: the overview.
    std::optional<Command> help_topic;

    // Shared by client and server.
    VersionChoice tls = VersionChoice::any;
    const CipherSpec* cipher = nullptr; // nullptr: OpenSSL's default choice
    Offload offload = Offload::kernel;
    Transport transport = Transport::mptcp;
    bool check_data = false; // SHA-256 of the stream (or each HTTP body) on both ends
    // TLS 1.3 bulk transfers: a KeyUpdate (update_requested) after every
    // this many payload bytes sent or received; 0: none.
    std::uint64_t key_update_every = 0;
    bool json = false;
    ProgressMode progress = ProgressMode::automatic;
    std::string keylog;
    std::string send_file;
    std::string marker;

    // Server.
    std::optional<HostPort> listen;
    std::string cert, key;
    std::uint64_t count = 1; // 0 = forever
    std::uint64_t max_conns = kDefaultMaxConns; // connections served at once
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

    // Server and client: "-- CMD ARGS..." runs CMD per connection with the
    // kernel-TLS socket as its stdin and stdout (wrapper mode); empty: off.
    std::vector<std::string> exec_argv;

    // gen-ca.
    std::string pki_dir;
    std::vector<std::string> sans;

    // Sentences for stderr that do not stop the run (a deprecated option).
    std::vector<std::string> warnings;
};

// A mistake on the command line (exit code 2).
class UsageError : public Error {
public:
    using Error::Error;
};

// args excludes argv[0]. Throws UsageError.
Options parse_command_line(std::span<const std::string> args);

// Where an option applies: a bit per command.
enum OptionScope : unsigned {
    kServer = 1, kClient = 2, kGenCa = 4,
    kPeers = kServer | kClient,
    kEveryCommand = kServer | kClient | kGenCa,
};

// One option as the parser reads it and as --help and the man page show it:
// both come from this one table, so they cannot disagree.
struct OptionSpec {
    std::string_view name;        // "--connect"
    char short_name;              // 'c'; 0 for none
    std::string_view value_name;  // "HOST:PORT"; empty for a flag
    unsigned scope;               // OptionScope bits
    std::string_view help;        // lines joined by '\n'; empty for a hidden alias
    std::string_view replaced_by; // a deprecated alias names its successor
    void (*apply)(Options&, const std::string& value);
};
// In the order --help lists them.
std::span<const OptionSpec> option_specs();

const char* command_name(Command c);
unsigned scope_of(Command c);
// "server", "client", "gen-ca"; nullopt for anything else.
std::optional<Command> command_by_name(std::string_view name);

// Whether the command line asks for JSON output, judged without parsing it
// (it may be wrong): a usage error is reported in JSON too.
bool asks_for_json(std::span<const std::string> args);

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

} // namespace mptls::tool
