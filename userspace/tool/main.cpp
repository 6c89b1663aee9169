// SPDX-License-Identifier: MIT
// mptls: TLS over Multipath TCP with kernel record offload.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "error_report.hpp"
#include "help.hpp"

namespace {

using namespace mptls::tool;

int run(const Options& opts) {
    switch (opts.command) {
    case Command::server: return run_server(opts);
    case Command::client: return run_client(opts);
    case Command::gen_ca: return run_gen_ca(opts);
    case Command::help: std::fputs(help_text(opts.help_topic).c_str(), stdout); return 0;
    case Command::version: std::fputs(version_text().c_str(), stdout); return 0;
    }
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    // A peer that goes away must surface as an EPIPE error, not kill us.
    std::signal(SIGPIPE, SIG_IGN);

    // Whatever is thrown, the user sees one "mptls: <sentence>" line: an
    // Error's own sentence, or one made for it (current_exception_as_error);
    // with --json, stdout gets it as an error object too.
    const std::vector<std::string> args(argv + 1, argv + argc);
    const bool json = asks_for_json(args);
    const std::string command = args.empty() || !command_by_name(args[0]) ? "" : args[0];
    Options opts;
    try {
        opts = parse_command_line(args);
    } catch (const UsageError&) {
        report_failure(current_failure(Failure::usage, command), json);
        return 2;
    } catch (...) {
        report_failure(current_failure(Failure::runtime, command), json);
        return 1;
    }
    for (const std::string& warning : opts.warnings)
        std::fprintf(stderr, "mptls: %s\n", warning.c_str());
    try {
        return run(opts);
    } catch (...) {
        report_failure(current_failure(Failure::runtime, command), opts.json);
        return 1;
    }
}
