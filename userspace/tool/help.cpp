// SPDX-License-Identifier: MIT
#include "help.hpp"

#include <string_view>

#ifndef MPTLS_VERSION
#error "MPTLS_VERSION comes from the CMake project version (userspace/CMakeLists.txt)"
#endif

namespace mptls::tool {
namespace {

// Where descriptions start; a longer option goes on a line of its own.
constexpr std::size_t kDescriptionColumn = 30;

struct CommandHelp {
    Command command;
    std::string_view summary;
    std::string_view usage; // the lines under "Usage:"
    std::string_view notes; // prose after the options; may be empty
};

constexpr CommandHelp kCommands[] = {
    {Command::server, "accept TLS connections: bulk transfers, files and HTTP/1.1",
     "  mptls server -l ADDR:PORT --cert FILE --key FILE [-n N] [-m N]\n"
     "               [--http-root DIR] [-s PATH] [--marker TEXT] [--ready-file FILE] [OPTION...]\n"
     "  mptls server -l ADDR:PORT --cert FILE --key FILE [-n N] [-m N] [OPTION...] -- CMD [ARG...]\n",
     "mptls gen-ca writes a certificate and key to try it with. Nothing a peer\n"
     "sends stops the server: a failed connection is one line on stderr naming\n"
     "the peer (and one JSON error object with -j), and the next one is served.\n"
     "Up to -m connections are served at once, each in a thread of its own\n"
     "(progress then only with -p).\n"
     "\n"
     "With -- CMD, each connection runs CMD once the kernel has its keys, with\n"
     "the kernel-TLS socket as stdin and stdout (as inetd does with TCP).\n"
     "See mptls help client for what CMD sees. A command that exits non-zero\n"
     "or cannot start is a failed connection.\n"},
    {Command::client, "connect, run one transfer or HTTP GETs, and report",
     "  mptls client -c HOST:PORT [--ca FILE | -i] [--servername NAME]\n"
     "               [-b N [-d up|down] | -s PATH | -g /a,/b] [--marker TEXT] [OPTION...]\n"
     "  mptls client -c HOST:PORT [--ca FILE | -i] [--servername NAME] [OPTION...] -- CMD [ARG...]\n",
     "With -d down and neither -b nor -s, the client fetches what the server\n"
     "offers with its own --send-file.\n"
     "\n"
     "With -- CMD (after the handshake and the key push) CMD runs with the\n"
     "kernel-TLS socket as stdin and stdout, stderr and the environment ours,\n"
     "no other fd, and no key or OpenSSL state left in any process. What CMD\n"
     "writes goes out in TLS records the kernel seals. It reads the peer's\n"
     "data; the peer's close_notify, an alert or a TLS 1.3 session ticket\n"
     "makes read(2) fail with EIO (the kernel's kTLS rule for a plain read),\n"
     "and a peer that closes without close_notify reads as end of file. When\n"
     "CMD exits, mptls sends close_notify and waits up to 2 s for the peer's.\n"
     "The exit status is CMD's (127: not found, 126: cannot run), 1 or 2 if\n"
     "mptls failed before CMD ran.\n"},
    {Command::gen_ca, "write a test CA and a server certificate it signed",
     "  mptls gen-ca DIR [--san NAME[,NAME...]]\n",
     "gen-ca writes ca.pem, ca.key, server.pem and server.key in DIR. The\n"
     "server certificate names server, localhost, 127.0.0.1, ::1 and every\n"
     "--san entry.\n"},
};

const CommandHelp& command_help(Command c) {
    for (const CommandHelp& h : kCommands) {
        if (h.command == c)
            return h;
    }
    return kCommands[0]; // not reached: the parser only names the three
}

// "  -c, --connect HOST:PORT     server to connect to ...", with each
// further line of the description under the first.
std::string option_lines(const OptionSpec& spec) {
    std::string term = "  ";
    term += spec.short_name != 0 ? std::string{'-', spec.short_name, ',', ' '} : "    ";
    term += spec.name;
    if (!spec.value_name.empty())
        term += " " + std::string(spec.value_name);
    const std::string indent(kDescriptionColumn, ' ');
    std::string out = term;
    if (term.size() + 2 <= kDescriptionColumn)
        out += std::string(kDescriptionColumn - term.size(), ' ');
    else
        out += "\n" + indent;
    std::string_view help = spec.help;
    for (std::size_t nl; (nl = help.find('\n')) != std::string_view::npos; help.remove_prefix(nl + 1))
        out += std::string(help.substr(0, nl)) + "\n" + indent;
    return out + std::string(help) + "\n";
}

// The options whose scope is exactly `scope`, under a heading.
std::string option_section(std::string_view heading, unsigned scope) {
    std::string out = "\n" + std::string(heading) + ":\n";
    for (const OptionSpec& spec : option_specs()) {
        if (spec.scope == scope && !spec.help.empty())
            out += option_lines(spec);
    }
    return out;
}

std::string two_columns(std::string_view term, std::string_view text) {
    std::string out = "  " + std::string(term);
    out += std::string(kDescriptionColumn - out.size(), ' ');
    return out + std::string(text) + "\n";
}

std::string overview() {
    std::string out = "mptls - TLS over Multipath TCP with the record layer in the kernel\n\nUsage:\n";
    for (const CommandHelp& h : kCommands)
        out += h.usage;
    out += "  mptls help [COMMAND]\n"
           "  mptls --version\n"
           "\nCommands:\n";
    for (const CommandHelp& h : kCommands)
        out += two_columns(command_name(h.command), h.summary);
    out += two_columns("help", "this overview, or one command's help (mptls help client)");
    out += option_section("Options of every command", kEveryCommand);
    out += "\nShort options:\n"
           "A short option is its long name's first letter, given to the option\n"
           "typed most often; a second option with that letter gets the capital\n"
           "(-C is --check-data, -T is --transport). -n is --count. A short option\n"
           "takes its value as the next argument (-b 10M); a long one also as\n"
           "--bytes=10M.\n"
           "\nOutput:\n"
           "Results go to stdout: one line per connection, or one JSON object per\n"
           "connection with -j. Notes, warnings, errors and progress go to stderr.\n"
           "Progress is shown while data moves, a few times a second, when stderr\n"
           "is a terminal (-p: always; --no-progress: never). With -j a failure\n"
           "also prints {\"error\":{\"message\":...,\"command\":...,\"kind\":...}} on\n"
           "stdout; kind is \"usage\", \"runtime\" or, for one connection of a\n"
           "server, \"connection\" (with the \"peer\").\n"
           "\nExit status:\n";
    out += two_columns("0", "success");
    out += two_columns("1", "failure (a server: any of its connections failed)");
    out += two_columns("2", "a mistake on the command line");
    return out;
}

std::string command_page(const CommandHelp& h) {
    const std::string name = command_name(h.command);
    std::string out = "mptls " + name + " - " + std::string(h.summary) + "\n\nUsage:\n" + std::string(h.usage);
    out += option_section("Options of mptls " + name, scope_of(h.command));
    if ((scope_of(h.command) & kPeers) != 0)
        out += option_section("Options of mptls server and client", kPeers);
    out += option_section("Options of every command", kEveryCommand);
    if (!h.notes.empty())
        out += "\n" + std::string(h.notes);
    return out;
}

} // namespace

std::string help_text(std::optional<Command> topic) {
    return topic ? command_page(command_help(*topic)) : overview();
}

std::string version_text() { return "mptls " MPTLS_VERSION "\n"; }

} // namespace mptls::tool
