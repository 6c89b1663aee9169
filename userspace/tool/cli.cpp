// SPDX-License-Identifier: MIT
#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>

namespace mptls::tool {
namespace {

enum Scope : unsigned { kServer = 1, kClient = 2, kGenCa = 4, kPeers = kServer | kClient };

const char* command_name(Command c) {
    switch (c) {
    case Command::server: return "server";
    case Command::client: return "client";
    case Command::gen_ca: return "gen-ca";
    case Command::help: return "help";
    }
    return "?";
}

unsigned scope_of(Command c) {
    switch (c) {
    case Command::server: return kServer;
    case Command::client: return kClient;
    case Command::gen_ca: return kGenCa;
    case Command::help: return 0;
    }
    return 0;
}

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

struct OptionDef {
    unsigned scope;
    bool takes_value;
    std::function<void(Options&, const std::string&)> apply;
};

const std::map<std::string, OptionDef, std::less<>>& option_table() {
    static const std::map<std::string, OptionDef, std::less<>> table = {
        {"--tls", {kPeers, true, [](Options& o, const std::string& v) {
             if (v == "1.2") o.tls = VersionChoice::tls12;
             else if (v == "1.3") o.tls = VersionChoice::tls13;
             else if (v == "default") o.tls = VersionChoice::any;
             else throw UsageError("--tls takes 1.2, 1.3 or default, not \"" + v + "\"");
         }}},
        {"--cipher", {kPeers, true, [](Options& o, const std::string& v) {
             o.cipher = find_cipher_by_name(v);
             if (o.cipher == nullptr)
                 throw UsageError("--cipher takes " + std::string(cipher_names()) + ", not \"" + v + "\"");
         }}},
        {"--offload", {kPeers, true, [](Options& o, const std::string& v) {
             if (v == "kernel") o.offload = Offload::kernel;
             else if (v == "user") o.offload = Offload::user;
             else throw UsageError("--offload takes kernel or user, not \"" + v + "\"");
         }}},
        {"--transport", {kPeers, true, [](Options& o, const std::string& v) {
             if (v == "mptcp") o.transport = Transport::mptcp;
             else if (v == "tcp") o.transport = Transport::tcp;
             else throw UsageError("--transport takes mptcp or tcp, not \"" + v + "\"");
         }}},
        {"--verify", {kPeers, false, [](Options& o, const std::string&) { o.verify = true; }}},
        {"--json", {kPeers, false, [](Options& o, const std::string&) { o.json = true; }}},
        {"--keylog", {kPeers, true, [](Options& o, const std::string& v) { o.keylog = v; }}},
        {"--send-file", {kPeers, true, [](Options& o, const std::string& v) { o.send_file = v; }}},
        {"--marker", {kPeers, true, [](Options& o, const std::string& v) {
             if (v.empty()) throw UsageError("--marker needs a non-empty string");
             o.marker = v;
         }}},
        {"--listen", {kServer, true, [](Options& o, const std::string& v) {
             o.listen = parse_address_option(v, "--listen");
         }}},
        {"--cert", {kServer, true, [](Options& o, const std::string& v) { o.cert = v; }}},
        {"--key", {kServer, true, [](Options& o, const std::string& v) { o.key = v; }}},
        {"--count", {kServer, true, [](Options& o, const std::string& v) {
             const DecimalParse n = parse_decimal(v);
             if (n.status == DecimalParse::too_large)
                 throw UsageError("--count takes at most " + std::to_string(kMaxU64) +
                                  " connections (0 = forever), not \"" + v + "\"");
             if (n.status != DecimalParse::ok)
                 throw UsageError("--count takes a number of connections (0 = forever), not \"" + v + "\"");
             o.count = n.value;
         }}},
        {"--http-root", {kServer, true, [](Options& o, const std::string& v) { o.http_root = v; }}},
        {"--ready-file", {kServer, true, [](Options& o, const std::string& v) { o.ready_file = v; }}},
        {"--connect", {kClient, true, [](Options& o, const std::string& v) {
             o.connect = parse_address_option(v, "--connect");
         }}},
        {"--ca", {kClient, true, [](Options& o, const std::string& v) { o.ca = v; }}},
        {"--insecure", {kClient, false, [](Options& o, const std::string&) { o.insecure = true; }}},
        {"--servername", {kClient, true, [](Options& o, const std::string& v) { o.servername = v; }}},
        {"--bytes", {kClient, true, [](Options& o, const std::string& v) {
             o.bytes = parse_byte_count(v, "--bytes");
         }}},
        {"--direction", {kClient, true, [](Options& o, const std::string& v) {
             if (v == "up") o.direction = Direction::up;
             else if (v == "down") o.direction = Direction::down;
             else throw UsageError("--direction takes up (client to server) or down, not \"" + v + "\"");
         }}},
        {"--get", {kClient, true, [](Options& o, const std::string& v) {
             for (auto& p : split_list(v)) {
                 if (p.front() != '/')
                     throw UsageError("--get paths must start with /, not \"" + p + "\"");
                 o.get_paths.push_back(p);
             }
             if (o.get_paths.empty()) throw UsageError("--get needs at least one path, e.g. --get /index.html");
         }}},
        {"--san", {kGenCa, true, [](Options& o, const std::string& v) {
             for (auto& n : split_list(v)) o.sans.push_back(n);
         }}},
    };
    return table;
}

void validate(const Options& o) {
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

Options parse_command_line(std::span<const std::string> args) {
    Options o;
    if (args.empty())
        throw UsageError("missing command: use mptls server, mptls client or mptls gen-ca (see mptls --help)");
    const std::string& cmd = args[0];
    if (cmd == "server") o.command = Command::server;
    else if (cmd == "client") o.command = Command::client;
    else if (cmd == "gen-ca") o.command = Command::gen_ca;
    else if (cmd == "help" || cmd == "--help" || cmd == "-h") return o;
    else throw UsageError("unknown command \"" + cmd + "\": use server, client or gen-ca (see mptls --help)");

    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inline_value;
        if (name == "--help" || name == "-h") {
            o.command = Command::help;
            return o;
        }
        if (!name.starts_with("--")) {
            if (o.command == Command::gen_ca && o.pki_dir.empty()) {
                o.pki_dir = name;
                continue;
            }
            throw UsageError("unexpected argument \"" + name + "\" (see mptls --help)");
        }
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        const auto& table = option_table();
        const auto it = table.find(name);
        if (it == table.end())
            throw UsageError("unknown option " + name + " (see mptls --help)");
        const OptionDef& def = it->second;
        if ((def.scope & scope_of(o.command)) == 0)
            throw UsageError("option " + name + " does not apply to mptls " + command_name(o.command));
        std::string value;
        if (def.takes_value) {
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
        def.apply(o, value);
    }
    validate(o);
    return o;
}

std::string usage_text() {
    return R"(mptls - TLS over Multipath TCP with the record layer in the kernel

Usage:
  mptls server --listen ADDR:PORT --cert FILE --key FILE [--count N]
               [--http-root DIR] [--send-file PATH] [--marker TEXT]
               [--ready-file FILE] [COMMON]
  mptls client --connect HOST:PORT [--ca FILE | --insecure] [--servername NAME]
               [--bytes N [--direction up|down] | --send-file PATH | --get /a,/b]
               [--marker TEXT] [COMMON]
  mptls gen-ca DIR [--san NAME[,NAME...]]

Common options:
  --tls 1.2|1.3|default        TLS version (default: OpenSSL's choice, 1.2 or 1.3)
  --cipher aes128gcm|aes256gcm|chacha20|aes128ccm
  --offload kernel|user        record crypto in the kernel (default) or in OpenSSL
  --transport mptcp|tcp        IPPROTO_MPTCP (default; falls back to TCP) or TCP
  --verify                     check the SHA-256 of the transferred stream on both ends
                               (--get: each body against the server's Repr-Digest)
  --keylog FILE                append NSS key log lines (SSLKEYLOGFILE format)
  --json                       one JSON object per connection on stdout

Server:
  --listen ADDR:PORT           e.g. 0.0.0.0:4433 or [::]:4433 (port 0 = any)
  --count N                    serve N connections, one after the other (0 = forever; default 1)
  --http-root DIR              answer HTTP/1.1 GET requests with files from DIR
  --send-file PATH             answer download requests with this file
  --marker TEXT                fill generated payload (and an HTTP header) with TEXT
  --ready-file FILE            write the bound ADDR:PORT to FILE once listening

Client:
  --bytes N                    bulk transfer of N bytes (suffix k, M, G = 1024^n)
  --direction up|down          up: client sends (default); down: server sends
  --send-file PATH             upload this file (sendfile(2) with kernel offload)
  --get /a,/b                  HTTP/1.1 GETs on one keep-alive connection
  --ca FILE                    trust anchors (default: system store)
  --insecure                   skip certificate and host name verification
  --servername NAME            name to verify and send as SNI (default: the --connect host)

gen-ca writes ca.pem, ca.key, server.pem and server.key; the server certificate
names server, localhost, 127.0.0.1, ::1 and every --san entry.
)";
}

} // namespace mptls::tool
