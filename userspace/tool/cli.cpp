// SPDX-License-Identifier: MIT
#include "cli.hpp"

#include <algorithm>
#include <charconv>

namespace mptls::tool {
namespace {

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start)
            out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

HostPort parse_address_option(const std::string& value, const std::string& option) {
    try {
        return parse_host_port(value);
    } catch (const Error& e) {
        throw UsageError(option + ": " + e.what());
    }
}

void set_check_data(Options& o, const std::string&) { o.check_data = true; }

// One thread per connection: far below the usual limit on threads.
constexpr std::uint64_t kMaxConnsLimit = 10000;

// Short options: the long name's first letter, given to the option typed
// most often; a second option with that letter gets the capital (-C
// --check-data, -T --transport). Exceptions follow common tools: -n for a
// count, -V for the version, -h for help.
std::vector<OptionSpec> make_option_specs() {
    return {
        // Server.
        {"--listen", 'l', "ADDR:PORT", kServer,
         "address to listen on, e.g. 0.0.0.0:4433 or [::]:4433 (port 0: any)", "",
         [](Options& o, const std::string& v) { o.listen = parse_address_option(v, "--listen"); }},
        {"--cert", 0, "FILE", kServer, "server certificate chain (PEM)", "",
         [](Options& o, const std::string& v) { o.cert = v; }},
        {"--key", 0, "FILE", kServer, "the certificate's private key (PEM)", "",
         [](Options& o, const std::string& v) { o.key = v; }},
        {"--count", 'n', "N", kServer, "serve N connections, then exit when they are done (0 = forever;\n"
         "default 1)", "",
         [](Options& o, const std::string& v) {
             const DecimalParse n = parse_decimal(v);
             if (n.status == DecimalParse::too_large)
                 throw UsageError("--count takes at most " + std::to_string(kMaxU64) +
                                  " connections (0 = forever), not \"" + v + "\"");
             if (n.status != DecimalParse::ok)
                 throw UsageError("--count takes a number of connections (0 = forever), not \"" + v + "\"");
             o.count = n.value;
         }},
        {"--max-conns", 'm', "N", kServer,
         "handle at most N connections at once (default 64; 1: one after the\n"
         "other); further clients wait in the listen queue", "",
         [](Options& o, const std::string& v) {
             const DecimalParse n = parse_decimal(v);
             if (n.status != DecimalParse::ok || n.value == 0 || n.value > kMaxConnsLimit)
                 throw UsageError("--max-conns takes a number of connections from 1 to " +
                                  std::to_string(kMaxConnsLimit) + ", not \"" + v + "\"");
             o.max_conns = n.value;
         }},
        {"--http-root", 0, "DIR", kServer, "answer HTTP/1.1 GET requests with files from DIR", "",
         [](Options& o, const std::string& v) { o.http_root = v; }},
        {"--ready-file", 0, "FILE", kServer, "write the bound ADDR:PORT to FILE once listening", "",
         [](Options& o, const std::string& v) { o.ready_file = v; }},

        // Client.
        {"--connect", 'c', "HOST:PORT", kClient, "server to connect to (IPv6 in brackets: [::1]:4433)", "",
         [](Options& o, const std::string& v) { o.connect = parse_address_option(v, "--connect"); }},
        {"--ca", 0, "FILE", kClient, "trust anchors (default: the system store)", "",
         [](Options& o, const std::string& v) { o.ca = v; }},
        {"--insecure", 'i', "", kClient, "skip certificate and host name verification", "",
         [](Options& o, const std::string&) { o.insecure = true; }},
        {"--servername", 0, "NAME", kClient, "name to verify and send as SNI (default: the --connect host)", "",
         [](Options& o, const std::string& v) { o.servername = v; }},
        {"--bytes", 'b', "N", kClient, "bulk transfer of N bytes (suffix k, M, G = 1024^n)", "",
         [](Options& o, const std::string& v) { o.bytes = parse_byte_count(v, "--bytes"); }},
        {"--direction", 'd', "up|down", kClient, "up: the client sends (default); down: the server sends", "",
         [](Options& o, const std::string& v) {
             if (v == "up") o.direction = Direction::up;
             else if (v == "down") o.direction = Direction::down;
             else throw UsageError("--direction takes up (client to server) or down, not \"" + v + "\"");
         }},
        {"--get", 'g', "/a,/b", kClient, "HTTP/1.1 GETs on one keep-alive connection", "",
         [](Options& o, const std::string& v) {
             for (auto& p : split_list(v)) {
                 if (p.front() != '/')
                     throw UsageError("--get paths must start with /, not \"" + p + "\"");
                 o.get_paths.push_back(p);
             }
             if (o.get_paths.empty()) throw UsageError("--get needs at least one path, e.g. --get /index.html");
         }},

        // Server and client.
        {"--send-file", 's', "PATH", kPeers,
         "client: upload this file; server: answer download requests with it\n"
         "(sendfile(2) with kernel offload)", "",
         [](Options& o, const std::string& v) { o.send_file = v; }},
        {"--marker", 0, "TEXT", kPeers, "fill generated payload (and an HTTP header) with TEXT", "",
         [](Options& o, const std::string& v) {
             if (v.empty()) throw UsageError("--marker needs a non-empty string");
             o.marker = v;
         }},
        {"--tls", 't', "1.2|1.3|default", kPeers, "TLS version (default: OpenSSL's choice, 1.2 or 1.3)", "",
         [](Options& o, const std::string& v) {
             if (v == "1.2") o.tls = VersionChoice::tls12;
             else if (v == "1.3") o.tls = VersionChoice::tls13;
             else if (v == "default") o.tls = VersionChoice::any;
             else throw UsageError("--tls takes 1.2, 1.3 or default, not \"" + v + "\"");
         }},
        {"--cipher", 0, cipher_names(), kPeers, "cipher (default: OpenSSL's choice)", "",
         [](Options& o, const std::string& v) {
             o.cipher = find_cipher_by_name(v);
             if (o.cipher == nullptr)
                 throw UsageError("--cipher takes " + std::string(cipher_names()) + ", not \"" + v + "\"");
         }},
        {"--offload", 'o', "kernel|user", kPeers, "record crypto in the kernel (default) or in OpenSSL", "",
         [](Options& o, const std::string& v) {
             if (v == "kernel") o.offload = Offload::kernel;
             else if (v == "user") o.offload = Offload::user;
             else throw UsageError("--offload takes kernel or user, not \"" + v + "\"");
         }},
        {"--transport", 'T', "mptcp|tcp", kPeers, "IPPROTO_MPTCP (default; falls back to TCP) or TCP", "",
         [](Options& o, const std::string& v) {
             if (v == "mptcp") o.transport = Transport::mptcp;
             else if (v == "tcp") o.transport = Transport::tcp;
             else throw UsageError("--transport takes mptcp or tcp, not \"" + v + "\"");
         }},
        {"--check-data", 'C', "", kPeers,
         "check the SHA-256 of the transferred stream on both ends\n"
         "(--get: each body against the server's Repr-Digest)", "", set_check_data},
        {"--key-update-every", 0, "BYTES", kPeers,
         "TLS 1.3 bulk transfers: after every BYTES of payload sent or received\n"
         "(suffix k, M, G), send a KeyUpdate that asks the peer to update too", "",
         [](Options& o, const std::string& v) {
             o.key_update_every = parse_byte_count(v, "--key-update-every");
             if (o.key_update_every == 0)
                 throw UsageError("--key-update-every takes a byte count above 0, such as 16M");
         }},
        // The old name of --check-data: it read as certificate verification.
        {"--verify", 0, "", kPeers, "", "--check-data", set_check_data},
        {"--keylog", 0, "FILE", kPeers, "append NSS key log lines (SSLKEYLOGFILE format)", "",
         [](Options& o, const std::string& v) { o.keylog = v; }},
        {"--json", 'j', "", kPeers,
         "one JSON object per connection on stdout; a failure is one too:\n"
         "{\"error\":{\"message\":...,\"command\":...,\"kind\":...}}", "",
         [](Options& o, const std::string&) { o.json = true; }},
        {"--progress", 'p', "", kPeers,
         "show transfer progress on stderr even when it is not a terminal\n"
         "(default: only on a terminal; one line per update in a file)", "",
         [](Options& o, const std::string&) { o.progress = ProgressMode::always; }},
        {"--no-progress", 0, "", kPeers, "no progress, not even on a terminal", "",
         [](Options& o, const std::string&) { o.progress = ProgressMode::never; }},

        // gen-ca.
        {"--san", 0, "NAME[,NAME...]", kGenCa, "also name these hosts or addresses in the server certificate", "",
         [](Options& o, const std::string& v) {
             for (auto& n : split_list(v)) o.sans.push_back(n);
         }},

        // Every command: they end parsing (see parse_command_line).
        {"--help", 'h', "", kEveryCommand, "show this help; after a command, its own (as mptls help COMMAND)", "",
         [](Options& o, const std::string&) {
             o.help_topic = o.command;
             o.command = Command::help;
         }},
        {"--version", 'V', "", kEveryCommand, "print \"mptls VERSION\" and exit", "",
         [](Options& o, const std::string&) { o.command = Command::version; }},
    };
}

const OptionSpec* find_option(std::string_view typed) {
    for (const OptionSpec& spec : option_specs()) {
        if (typed.starts_with("--") ? typed == spec.name
                                    : typed.size() == 2 && spec.short_name != 0 && typed[1] == spec.short_name)
            return &spec;
    }
    return nullptr;
}

void note_deprecated(Options& o, const OptionSpec& spec) {
    const std::string warning =
        std::string(spec.name) + " is deprecated; use " + std::string(spec.replaced_by);
    if (std::find(o.warnings.begin(), o.warnings.end(), warning) == o.warnings.end())
        o.warnings.push_back(warning);
}

// With "-- CMD" the command moves the data, so the tool's own workloads
// and what only they use are mistakes, named with the fix.
void validate_exec(const Options& o) {
    if (o.offload != Offload::kernel)
        throw UsageError("-- CMD needs --offload kernel: the command reads and writes the socket "
                         "itself, so the kernel must do the record crypto");
    const auto refuse = [](bool given, const char* option) {
        if (given)
            throw UsageError(std::string(option) + " cannot be combined with -- CMD: the command "
                             "moves the data");
    };
    refuse(o.bytes.has_value(), "--bytes");
    refuse(!o.get_paths.empty(), "--get");
    refuse(o.direction == Direction::down, "--direction");
    refuse(!o.send_file.empty(), "--send-file");
    refuse(!o.http_root.empty(), "--http-root");
    refuse(o.check_data, "--check-data");
    refuse(!o.marker.empty(), "--marker");
    refuse(o.key_update_every != 0, "--key-update-every");
}

void validate(const Options& o) {
    if (!o.exec_argv.empty())
        validate_exec(o);
    if (o.key_update_every != 0 && o.tls == VersionChoice::tls12)
        throw UsageError("--key-update-every needs TLS 1.3 (TLS 1.2 has no key update); drop --tls 1.2");
    if (o.key_update_every != 0 && !o.get_paths.empty())
        throw UsageError("--key-update-every works in bulk transfers (-b, -s, -d), not with --get");
    switch (o.command) {
    case Command::server:
        if (!o.listen)
            throw UsageError("mptls server needs --listen ADDR:PORT, e.g. --listen 0.0.0.0:4433");
        break;
    case Command::client:
        if (!o.connect)
            throw UsageError("mptls client needs --connect HOST:PORT");
        if (!o.get_paths.empty() && (o.bytes || !o.send_file.empty()))
            throw UsageError("--get (HTTP mode) cannot be combined with --bytes or --send-file");
        if (!o.send_file.empty() && o.direction == Direction::down)
            throw UsageError("--send-file on the client uploads; drop --direction down, or give "
                             "--send-file to the server instead");
        if (!o.send_file.empty() && o.bytes)
            throw UsageError("--send-file sends the whole file; drop --bytes");
        break;
    case Command::gen_ca:
        if (o.pki_dir.empty())
            throw UsageError("mptls gen-ca needs a directory, e.g. mptls gen-ca ./pki");
        break;
    case Command::help:
    case Command::version:
        break;
    }
}

} // namespace

DecimalParse parse_decimal(std::string_view text) {
    DecimalParse r;
    // from_chars alone would accept a prefix ("12abc") and, for some types,
    // a sign: insist on digits only, all of them consumed.
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
        r.status = DecimalParse::not_a_number;
        return r;
    }
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, r.value);
    if (ec == std::errc::result_out_of_range)
        r.status = DecimalParse::too_large;
    else if (ec != std::errc() || ptr != end)
        r.status = DecimalParse::not_a_number;
    else
        r.status = DecimalParse::ok;
    return r;
}

std::uint64_t parse_byte_count(const std::string& text, const std::string& option) {
    const auto bad = [&] {
        return UsageError(option + " takes a byte count such as 1000, 64k, 100M or 2G, not \"" + text + "\"");
    };
    std::string_view digits = text;
    std::uint64_t unit = 1;
    if (!digits.empty()) {
        switch (digits.back()) {
        case 'k': case 'K': unit = 1ull << 10; break;
        case 'm': case 'M': unit = 1ull << 20; break;
        case 'g': case 'G': unit = 1ull << 30; break;
        default: break;
        }
        if (unit != 1)
            digits.remove_suffix(1);
    }
    const DecimalParse n = parse_decimal(digits);
    if (n.status == DecimalParse::not_a_number)
        throw bad();
    if (n.status == DecimalParse::too_large || n.value > kMaxU64 / unit)
        throw UsageError(option + " takes at most " + std::to_string(kMaxU64) + " bytes (16 EiB), not \"" +
                         text + "\"");
    return n.value * unit;
}

std::span<const OptionSpec> option_specs() {
    static const std::vector<OptionSpec> specs = make_option_specs();
    return specs;
}

const char* command_name(Command c) {
    switch (c) {
    case Command::server: return "server";
    case Command::client: return "client";
    case Command::gen_ca: return "gen-ca";
    case Command::help: return "help";
    case Command::version: return "version";
    }
    return "?";
}

unsigned scope_of(Command c) {
    switch (c) {
    case Command::server: return kServer;
    case Command::client: return kClient;
    case Command::gen_ca: return kGenCa;
    case Command::help: case Command::version: return 0;
    }
    return 0;
}

std::optional<Command> command_by_name(std::string_view name) {
    for (const Command c : {Command::server, Command::client, Command::gen_ca}) {
        if (name == command_name(c))
            return c;
    }
    return std::nullopt;
}

bool asks_for_json(std::span<const std::string> args) {
    // What follows "--" belongs to the command that mptls runs.
    const auto end = std::find(args.begin(), args.end(), std::string("--"));
    return std::any_of(args.begin(), end, [](const std::string& a) { return a == "--json" || a == "-j"; });
}

Options parse_command_line(std::span<const std::string> args) {
    Options o;
    if (args.empty())
        throw UsageError("missing command: use mptls server, mptls client or mptls gen-ca (see mptls --help)");
    const std::string& cmd = args[0];
    if (cmd == "--help" || cmd == "-h")
        return o;
    if (cmd == "--version" || cmd == "-V") {
        o.command = Command::version;
        return o;
    }
    if (cmd == "help") {
        // "mptls help COMMAND" prints what "mptls COMMAND --help" does.
        if (args.size() > 2)
            throw UsageError("mptls help takes one command name, e.g. mptls help client");
        if (args.size() == 2 && args[1] != "help") {
            o.help_topic = command_by_name(args[1]);
            if (!o.help_topic)
                throw UsageError("no help for \"" + args[1] + "\": use mptls help server, client or gen-ca");
        }
        return o;
    }
    const auto command = command_by_name(cmd);
    if (!command)
        throw UsageError("unknown command \"" + cmd + "\": use server, client or gen-ca (see mptls --help)");
    o.command = *command;

    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string name = args[i];
        if (name == "--") {
            if (o.command == Command::gen_ca)
                throw UsageError("mptls gen-ca runs no command; -- CMD is for mptls server and client");
            o.exec_argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            if (o.exec_argv.empty() || o.exec_argv.front().empty())
                throw UsageError("-- must be followed by a command to run, e.g. -- cat file");
            break;
        }
        std::optional<std::string> inline_value;
        if (!name.starts_with("-")) {
            if (o.command == Command::gen_ca && o.pki_dir.empty()) {
                o.pki_dir = name;
                continue;
            }
            throw UsageError("unexpected argument \"" + name + "\" (see mptls --help)");
        }
        if (const auto eq = name.find('='); name.starts_with("--") && eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        const OptionSpec* spec = find_option(name);
        if (spec == nullptr)
            throw UsageError("unknown option " + name + " (see mptls --help)");
        if ((spec->scope & scope_of(o.command)) == 0)
            throw UsageError("option " + name + " does not apply to mptls " + command_name(o.command));
        std::string value;
        if (!spec->value_name.empty()) {
            if (inline_value) {
                value = *inline_value;
            } else {
                if (i + 1 >= args.size())
                    throw UsageError("option " + name + " needs a value");
                value = args[++i];
            }
        } else if (inline_value) {
            throw UsageError("option " + name + " takes no value");
        }
        if (!spec->replaced_by.empty())
            note_deprecated(o, *spec);
        spec->apply(o, value);
        // --help and --version answer at once, whatever else is missing.
        if (o.command == Command::help || o.command == Command::version)
            return o;
    }
    validate(o);
    return o;
}

} // namespace mptls::tool
