// SPDX-License-Identifier: MIT
// `mptls --help`, `mptls help COMMAND` and `mptls --version` as text: every
// option where it applies, with its short form; the layout the man page
// generator (userspace/man/help2roff.awk) reads.
#include <gtest/gtest.h>

#include <sstream>

#include "cli.hpp"
#include "help.hpp"

namespace mptls::tool {
namespace {

// A line that starts with `start` as a whole word (--key is not --keylog).
bool has_line_starting(const std::string& text, const std::string& start) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(start) && (line.size() == start.size() || line[start.size()] == ' '))
            return true;
    }
    return false;
}

TEST(Help, EachCommandListsItsOptionsWithTheirShortForms) {
    for (const Command c : {Command::server, Command::client, Command::gen_ca}) {
        const std::string page = help_text(c);
        for (const OptionSpec& spec : option_specs()) {
            const bool applies = (spec.scope & scope_of(c)) != 0;
            const std::string entry = spec.short_name != 0
                                          ? std::string("  -") + spec.short_name + ", " + std::string(spec.name)
                                          : "      " + std::string(spec.name);
            if (spec.help.empty())
                EXPECT_FALSE(has_line_starting(page, entry)) << command_name(c) << ": hidden " << spec.name;
            else
                EXPECT_EQ(has_line_starting(page, entry), applies) << command_name(c) << ": " << entry;
        }
    }
}

TEST(Help, OverviewNamesEveryCommandAndTheConventions) {
    const std::string page = help_text(std::nullopt);
    EXPECT_TRUE(page.starts_with("mptls - "));
    for (const char* c : {"  server", "  client", "  gen-ca", "  help"})
        EXPECT_TRUE(has_line_starting(page, c)) << c;
    EXPECT_TRUE(has_line_starting(page, "  -h, --help"));
    EXPECT_TRUE(has_line_starting(page, "  -V, --version"));
    EXPECT_NE(page.find("\nShort options:\n"), std::string::npos);
    EXPECT_NE(page.find("\nExit status:\n"), std::string::npos);
    EXPECT_EQ(page.find("--verify"), std::string::npos); // deprecated: not advertised
}

TEST(Help, CommandPagesStartWithTheirNameAndUsage) {
    EXPECT_TRUE(help_text(Command::client).starts_with("mptls client - "));
    EXPECT_NE(help_text(Command::client).find("\nUsage:\n  mptls client -c HOST:PORT"), std::string::npos);
    EXPECT_TRUE(help_text(Command::gen_ca).starts_with("mptls gen-ca - "));
}

// help2roff.awk tells an entry's continuation from a new entry by its
// indentation: descriptions start in column 30, entries in column 2 or 6.
TEST(Help, LayoutTheManPageGeneratorReads) {
    for (const auto topic : {std::optional<Command>{}, std::optional{Command::server},
                             std::optional{Command::client}, std::optional{Command::gen_ca}}) {
        std::istringstream in(help_text(topic));
        for (std::string line; std::getline(in, line);) {
            EXPECT_LE(line.size(), 100u) << line;
            EXPECT_EQ(line.find('\t'), std::string::npos) << line;
            const std::size_t indent = line.find_first_not_of(' ');
            if (line.empty() || indent == 0)
                continue;
            EXPECT_TRUE(indent == 2 || indent == 6 || indent >= 7) << line;
        }
    }
}

TEST(Version, IsTheProjectVersion) {
    EXPECT_EQ(version_text(), "mptls " MPTLS_EXPECTED_VERSION "\n");
}

} // namespace
} // namespace mptls::tool
