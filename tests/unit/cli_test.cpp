// SPDX-License-Identifier: MIT
// Command-line parsing and its error sentences.
#include <gtest/gtest.h>

#include <set>

#include "cli.hpp"

namespace mptls::tool {
namespace {

Options parse(std::initializer_list<std::string> args) {
    const std::vector<std::string> v(args);
    return parse_command_line(v);
}

std::string error_of(std::initializer_list<std::string> args) {
    try {
        parse(args);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Cli, ServerWithDefaults) {
    const Options o = parse({"server", "--listen", "0.0.0.0:4433", "--cert", "c.pem", "--key", "k.pem"});
    EXPECT_EQ(o.command, Command::server);
    EXPECT_EQ(o.listen->host, "0.0.0.0");
    EXPECT_EQ(o.listen->port, "4433");
    EXPECT_EQ(o.offload, Offload::kernel);
    EXPECT_EQ(o.transport, Transport::mptcp);
    EXPECT_EQ(o.tls, VersionChoice::any);
    EXPECT_EQ(o.cipher, nullptr);
    EXPECT_EQ(o.count, 1u);
}

TEST(Cli, ClientEveryCommonOption) {
    const Options o = parse({"client", "--connect", "[::1]:443", "--tls", "1.2", "--cipher", "chacha20",
                             "--offload=user", "--transport", "tcp", "--check-data", "--json", "--keylog",
                             "keys.txt", "--bytes", "10M", "--direction", "down", "--insecure",
                             "--servername", "server"});
    EXPECT_EQ(o.connect->host, "::1");
    EXPECT_EQ(o.connect->port, "443");
    EXPECT_EQ(o.tls, VersionChoice::tls12);
    ASSERT_NE(o.cipher, nullptr);
    EXPECT_EQ(o.cipher->name, "chacha20");
    EXPECT_EQ(o.offload, Offload::user);
    EXPECT_EQ(o.transport, Transport::tcp);
    EXPECT_TRUE(o.check_data);
    EXPECT_TRUE(o.json);
    EXPECT_EQ(o.keylog, "keys.txt");
    EXPECT_EQ(*o.bytes, 10ull << 20);
    EXPECT_EQ(o.direction, Direction::down);
    EXPECT_TRUE(o.insecure);
    EXPECT_EQ(o.servername, "server");
}

TEST(Cli, HttpPathsAreSplitOnCommas) {
    const Options o = parse({"client", "--connect", "h:1", "--get", "/a,/b/c,/"});
    EXPECT_EQ(o.get_paths, (std::vector<std::string>{"/a", "/b/c", "/"}));
}

TEST(Cli, GenCaTakesADirectoryAndNames) {
    const Options o = parse({"gen-ca", "pki", "--san", "10.0.0.1,10.0.1.1", "--san", "lab"});
    EXPECT_EQ(o.command, Command::gen_ca);
    EXPECT_EQ(o.pki_dir, "pki");
    EXPECT_EQ(o.sans, (std::vector<std::string>{"10.0.0.1", "10.0.1.1", "lab"}));
}

TEST(Cli, HelpAnywhere) {
    EXPECT_EQ(parse({"--help"}).command, Command::help);
    EXPECT_EQ(parse({"client", "--help"}).command, Command::help);
}

TEST(Cli, ByteCounts) {
    EXPECT_EQ(parse_byte_count("1000", "--bytes"), 1000u);
    EXPECT_EQ(parse_byte_count("64k", "--bytes"), 65536u);
    EXPECT_EQ(parse_byte_count("2G", "--bytes"), 2ull << 30);
    EXPECT_THROW(parse_byte_count("10X", "--bytes"), UsageError);
    EXPECT_THROW(parse_byte_count("", "--bytes"), UsageError);
    EXPECT_THROW(parse_byte_count("k", "--bytes"), UsageError);
}

TEST(CliErrors, EachNamesTheFix) {
    EXPECT_EQ(error_of({}), "missing command: use mptls server, mptls client or mptls gen-ca (see mptls --help)");
    EXPECT_EQ(error_of({"serve"}), "unknown command \"serve\": use server, client or gen-ca (see mptls --help)");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--tls", "1.1"}),
              "--tls takes 1.2, 1.3 or default, not \"1.1\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--cipher", "aes"}),
              "--cipher takes aes128gcm|aes256gcm|chacha20|aes128ccm, not \"aes\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--offload", "nic"}),
              "--offload takes kernel or user, not \"nic\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--transport", "udp"}),
              "--transport takes mptcp or tcp, not \"udp\"");
    EXPECT_EQ(error_of({"client", "--frobnicate"}), "unknown option --frobnicate (see mptls --help)");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--count", "3"}),
              "option --count does not apply to mptls client");
    EXPECT_EQ(error_of({"client", "--connect"}), "option --connect needs a value");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--check-data=yes"}), "option --check-data takes no value");
    EXPECT_EQ(error_of({"client"}), "mptls client needs --connect HOST:PORT");
    EXPECT_EQ(error_of({"server", "--cert", "c"}),
              "mptls server needs --listen ADDR:PORT, e.g. --listen 0.0.0.0:4433");
    EXPECT_EQ(error_of({"gen-ca"}), "mptls gen-ca needs a directory, e.g. mptls gen-ca ./pki");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--get", "a"}),
              "--get paths must start with /, not \"a\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--get", "/a", "--bytes", "1"}),
              "--get (HTTP mode) cannot be combined with --bytes or --send-file");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--send-file", "f", "--direction", "down"}),
              "--send-file on the client uploads; drop --direction down, or give --send-file to "
              "the server instead");
    EXPECT_EQ(error_of({"server", "--listen", "h:1", "--count", "x"}),
              "--count takes a number of connections (0 = forever), not \"x\"");
}

TEST(Cli, ByteCountLimits) {
    EXPECT_EQ(parse_byte_count("18446744073709551615", "--bytes"), UINT64_MAX);
    EXPECT_EQ(parse_byte_count("17179869183G", "--bytes"), 17179869183ull << 30);
    EXPECT_EQ(parse_byte_count("0k", "--bytes"), 0u);
    EXPECT_EQ(parse_byte_count("000000000000000000000001", "--bytes"), 1u); // leading zeros are not a size
}

TEST(CliErrors, ByteCountOverflowNamesTheOptionAndTheLimit) {
    const std::string limit = "--bytes takes at most 18446744073709551615 bytes (16 EiB), not ";
    // Each of these used to wrap around (or throw std::out_of_range).
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--bytes", "17179869184G"}), limit + "\"17179869184G\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--bytes", "999999999999999G"}),
              limit + "\"999999999999999G\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--bytes", "18446744073709551616"}),
              limit + "\"18446744073709551616\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--bytes", "99999999999999999999999999k"}),
              limit + "\"99999999999999999999999999k\"");
}

TEST(CliErrors, ByteCountGarbage) {
    for (const char* bad : {"-1", "+1", " 1", "1 ", "1 M", "1MM", "0x10", "1.5G", "M", "1T", "20000000T", "1e9"})
        EXPECT_EQ(error_of({"client", "--connect", "h:1", "--bytes", bad}),
                  std::string("--bytes takes a byte count such as 1000, 64k, 100M or 2G, not \"") + bad + "\"")
            << bad;
}

TEST(CliErrors, CountOutOfRangeNamesTheLimit) {
    // std::stoull used to throw std::out_of_range here ("mptls: stoull").
    EXPECT_EQ(error_of({"server", "--listen", "h:1", "--count", "99999999999999999999"}),
              "--count takes at most 18446744073709551615 connections (0 = forever), not "
              "\"99999999999999999999\"");
    EXPECT_EQ(parse({"server", "--listen", "h:1", "--count", "18446744073709551615"}).count, UINT64_MAX);
    for (const char* bad : {"-1", "+1", " 1", "", "1x"})
        EXPECT_EQ(error_of({"server", "--listen", "h:1", "--count", bad}),
                  std::string("--count takes a number of connections (0 = forever), not \"") + bad + "\"")
            << bad;
}

TEST(CliErrors, AddressForms) {
    EXPECT_EQ(error_of({"client", "--connect", "::1:443"}),
              "--connect: expected HOST:PORT or [IPv6]:PORT, got \"::1:443\" (write IPv6 addresses in brackets)");
    EXPECT_EQ(error_of({"client", "--connect", "host"}),
              "--connect: expected HOST:PORT or [IPv6]:PORT, got \"host\" (write IPv6 addresses in brackets)");
    EXPECT_EQ(error_of({"client", "--connect", "host:99999"}),
              "--connect: expected HOST:PORT or [IPv6]:PORT, got \"host:99999\"");
    EXPECT_EQ(error_of({"client", "--connect", "[::1]443"}),
              "--connect: expected HOST:PORT or [IPv6]:PORT, got \"[::1]443\"");
}

// The conventions of issue 13: short options, `help COMMAND`, --version,
// the deprecated --verify, the progress switches, and JSON mode seen before
// parsing (so a usage error can be a JSON object too).

TEST(CliShortOptions, ClientShortFormsMeanTheLongOnes) {
    const Options s = parse({"client", "-c", "h:1", "-t", "1.3", "-o", "user", "-T", "tcp", "-C", "-j", "-p",
                             "-i", "-b", "64k", "-d", "down"});
    const Options l = parse({"client", "--connect", "h:1", "--tls", "1.3", "--offload", "user", "--transport",
                             "tcp", "--check-data", "--json", "--progress", "--insecure", "--bytes", "64k",
                             "--direction", "down"});
    EXPECT_EQ(s.connect->host, "h");
    EXPECT_EQ(s.tls, VersionChoice::tls13);
    EXPECT_EQ(s.tls, l.tls);
    EXPECT_EQ(s.offload, Offload::user);
    EXPECT_EQ(s.transport, Transport::tcp);
    EXPECT_TRUE(s.check_data);
    EXPECT_TRUE(s.json);
    EXPECT_EQ(s.progress, ProgressMode::always);
    EXPECT_EQ(s.progress, l.progress);
    EXPECT_TRUE(s.insecure);
    EXPECT_EQ(*s.bytes, 65536u);
    EXPECT_EQ(s.direction, Direction::down);
    EXPECT_TRUE(s.warnings.empty());
}

TEST(CliShortOptions, ServerAndHttpShortForms) {
    const Options s = parse({"server", "-l", "0.0.0.0:4433", "-n", "3", "-s", "f.bin"});
    EXPECT_EQ(s.listen->port, "4433");
    EXPECT_EQ(s.count, 3u);
    EXPECT_EQ(s.send_file, "f.bin");
    EXPECT_EQ(parse({"client", "-c", "h:1", "-g", "/a,/b"}).get_paths, (std::vector<std::string>{"/a", "/b"}));
}

TEST(CliShortOptions, MistakesNameTheShortForm) {
    EXPECT_EQ(error_of({"client", "-c"}), "option -c needs a value");
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-n", "3"}), "option -n does not apply to mptls client");
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-x"}), "unknown option -x (see mptls --help)");
    // No bundling and no glued values: one letter per argument.
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-jC"}), "unknown option -jC (see mptls --help)");
    EXPECT_EQ(error_of({"client", "-ch:1"}), "unknown option -ch:1 (see mptls --help)");
}

TEST(CliShortOptions, TableHasNoClashes) {
    std::set<std::string_view> longs;
    std::set<char> shorts;
    for (const OptionSpec& spec : option_specs()) {
        EXPECT_TRUE(spec.name.starts_with("--")) << spec.name;
        EXPECT_TRUE(longs.insert(spec.name).second) << spec.name;
        if (spec.short_name != 0) {
            EXPECT_TRUE(shorts.insert(spec.short_name).second) << spec.short_name;
            // A hidden alias must not take a letter.
            EXPECT_FALSE(spec.help.empty()) << spec.name;
        }
        EXPECT_NE(spec.apply, nullptr) << spec.name;
    }
}

TEST(CliHelp, HelpCommandNamesItsTopic) {
    EXPECT_EQ(parse({"help"}).command, Command::help);
    EXPECT_FALSE(parse({"help"}).help_topic);
    EXPECT_FALSE(parse({"help", "help"}).help_topic);
    EXPECT_FALSE(parse({"--help"}).help_topic);
    EXPECT_FALSE(parse({"-h"}).help_topic);
    EXPECT_EQ(parse({"help", "client"}).help_topic, Command::client);
    EXPECT_EQ(parse({"help", "server"}).help_topic, Command::server);
    EXPECT_EQ(parse({"help", "gen-ca"}).help_topic, Command::gen_ca);
    // The same topic as "mptls COMMAND --help", which needs nothing else.
    EXPECT_EQ(parse({"client", "--help"}).help_topic, Command::client);
    EXPECT_EQ(parse({"server", "-h"}).help_topic, Command::server);
    EXPECT_EQ(parse({"gen-ca", "--help"}).command, Command::help);
    EXPECT_EQ(error_of({"help", "serve"}), "no help for \"serve\": use mptls help server, client or gen-ca");
    EXPECT_EQ(error_of({"help", "client", "server"}), "mptls help takes one command name, e.g. mptls help client");
}

TEST(CliVersion, LongShortAndAfterACommand) {
    EXPECT_EQ(parse({"--version"}).command, Command::version);
    EXPECT_EQ(parse({"-V"}).command, Command::version);
    EXPECT_EQ(parse({"client", "--version"}).command, Command::version);
    EXPECT_EQ(parse({"server", "-V"}).command, Command::version);
    EXPECT_EQ(error_of({"--version=1"}), "unknown command \"--version=1\": use server, client or gen-ca (see mptls --help)");
}

TEST(CliDeprecated, VerifyIsCheckDataWithOneWarning) {
    const Options o = parse({"client", "-c", "h:1", "--verify", "--verify"});
    EXPECT_TRUE(o.check_data);
    EXPECT_EQ(o.warnings, (std::vector<std::string>{"--verify is deprecated; use --check-data"}));
    EXPECT_TRUE(parse({"server", "-l", "h:1", "--verify"}).check_data);
    EXPECT_TRUE(parse({"client", "-c", "h:1", "--check-data"}).warnings.empty());
    EXPECT_EQ(error_of({"client", "-c", "h:1", "--verify=yes"}), "option --verify takes no value");
}

TEST(CliProgress, DefaultAlwaysNever) {
    EXPECT_EQ(parse({"client", "-c", "h:1"}).progress, ProgressMode::automatic);
    EXPECT_EQ(parse({"client", "-c", "h:1", "--progress"}).progress, ProgressMode::always);
    EXPECT_EQ(parse({"server", "-l", "h:1", "--no-progress"}).progress, ProgressMode::never);
    EXPECT_EQ(parse({"server", "-l", "h:1", "-p", "--no-progress"}).progress, ProgressMode::never); // the last wins
    EXPECT_EQ(error_of({"gen-ca", "pki", "--progress"}), "option --progress does not apply to mptls gen-ca");
}

TEST(CliJson, SeenBeforeParsing) {
    const std::vector<std::string> bad{"client", "--tls", "1.0", "--json"};
    EXPECT_TRUE(asks_for_json(bad));
    EXPECT_TRUE(asks_for_json(std::vector<std::string>{"server", "-j"}));
    EXPECT_FALSE(asks_for_json(std::vector<std::string>{"client", "--jsonx", "-J"}));
}

} // namespace
} // namespace mptls::tool

namespace mptls::tool {
namespace {

TEST(CliWrapper, EverythingAfterDashDashIsTheCommand) {
    const Options c = parse({"client", "-c", "h:1", "-t", "1.3", "--", "sh", "-c", "cat --json -j", "--"});
    EXPECT_EQ(c.command, Command::client);
    EXPECT_EQ(c.tls, VersionChoice::tls13);
    EXPECT_EQ(c.exec_argv, (std::vector<std::string>{"sh", "-c", "cat --json -j", "--"}));
    EXPECT_FALSE(c.json);
    const Options s = parse({"server", "-l", "h:1", "-m", "3", "-n", "0", "--", "cat", "f"});
    EXPECT_EQ(s.exec_argv, (std::vector<std::string>{"cat", "f"}));
    EXPECT_EQ(s.max_conns, 3u);
    EXPECT_EQ(s.count, 0u);
    // A --json for the command is not one for mptls.
    const std::vector<std::string> args{"client", "-c", "h:1", "--", "tool", "--json"};
    EXPECT_FALSE(asks_for_json(args));
}

TEST(CliWrapper, MistakesNameTheFix) {
    EXPECT_EQ(error_of({"client", "-c", "h:1", "--"}), "-- must be followed by a command to run, e.g. -- cat file");
    EXPECT_EQ(error_of({"client", "-c", "h:1", "--", ""}), "-- must be followed by a command to run, e.g. -- cat file");
    EXPECT_EQ(error_of({"gen-ca", "d", "--", "cat"}),
              "mptls gen-ca runs no command; -- CMD is for mptls server and client");
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-o", "user", "--", "cat"}),
              "-- CMD needs --offload kernel: the command reads and writes the socket itself, so the "
              "kernel must do the record crypto");
    const std::string moves = " cannot be combined with -- CMD: the command moves the data";
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-b", "1k", "--", "cat"}), "--bytes" + moves);
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-g", "/", "--", "cat"}), "--get" + moves);
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-d", "down", "--", "cat"}), "--direction" + moves);
    EXPECT_EQ(error_of({"client", "-c", "h:1", "-C", "--", "cat"}), "--check-data" + moves);
    EXPECT_EQ(error_of({"server", "-l", "h:1", "--http-root", "/", "--", "cat"}), "--http-root" + moves);
    EXPECT_EQ(error_of({"server", "-l", "h:1", "-s", "f", "--", "cat"}), "--send-file" + moves);
    EXPECT_EQ(error_of({"server", "-l", "h:1", "--marker", "m", "--", "cat"}), "--marker" + moves);
}

TEST(CliServer, MaxConnsRange) {
    EXPECT_EQ(parse({"server", "-l", "h:1"}).max_conns, kDefaultMaxConns);
    EXPECT_EQ(parse({"server", "-l", "h:1", "--max-conns", "1"}).max_conns, 1u);
    EXPECT_EQ(parse({"server", "-l", "h:1", "--max-conns=10000"}).max_conns, 10000u);
    for (const char* bad : {"0", "10001", "-1", "x", "", "99999999999999999999999"})
        EXPECT_EQ(error_of({"server", "-l", "h:1", "-m", bad}),
                  std::string("--max-conns takes a number of connections from 1 to 10000, not \"") + bad + "\"");
    EXPECT_EQ(error_of({"client", "-c", "h:1", "--max-conns", "2"}), "option --max-conns does not apply to mptls client");
}

} // namespace
} // namespace mptls::tool

namespace mptls::tool {
namespace {

TEST(Cli, KeyUpdateEveryTakesAByteCount) {
    EXPECT_EQ(parse({"client", "--connect", "h:1", "-b", "1G", "--key-update-every", "16M"}).key_update_every,
              16ull << 20);
    EXPECT_EQ(parse({"server", "--listen", "h:1", "--key-update-every=2k"}).key_update_every, 2048u);
    EXPECT_EQ(parse({"client", "--connect", "h:1"}).key_update_every, 0u);
}

TEST(CliErrors, KeyUpdateEveryNamesTheFix) {
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--key-update-every", "0"}),
              "--key-update-every takes a byte count above 0, such as 16M");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--key-update-every", "x"}),
              "--key-update-every takes a byte count such as 1000, 64k, 100M or 2G, not \"x\"");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--tls", "1.2", "--key-update-every", "1M"}),
              "--key-update-every needs TLS 1.3 (TLS 1.2 has no key update); drop --tls 1.2");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--get", "/", "--key-update-every", "1M"}),
              "--key-update-every works in bulk transfers (-b, -s, -d), not with --get");
    EXPECT_EQ(error_of({"client", "--connect", "h:1", "--key-update-every", "1M", "--", "cat"}),
              "--key-update-every cannot be combined with -- CMD: the command moves the data");
}

} // namespace
} // namespace mptls::tool
