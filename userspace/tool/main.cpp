// SPDX-License-Identifier: MIT
// mptls: TLS over Multipath TCP with kernel record offload.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "mptls/error.hpp"

int main(int argc, char** argv) {
    using namespace mptls::tool;
    // A peer that goes away must surface as an EPIPE error, not kill us.
    std::signal(SIGPIPE, SIG_IGN);

    // Whatever is thrown, the user sees one "mptls: <sentence>" line: an
    // Error's own sentence, or one made for it (current_exception_as_error).
    Options opts;
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        opts = parse_command_line(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "mptls: %s\n", one_line(e.what()).c_str());
        return 2;
    } catch (...) {
        std::fprintf(stderr, "mptls: %s\n", one_line(mptls::current_exception_as_error().what()).c_str());
        return 1;
    }
    try {
        switch (opts.command) {
        case Command::server: return run_server(opts);
        case Command::client: return run_client(opts);
        case Command::gen_ca: return run_gen_ca(opts);
        case Command::help: std::fputs(usage_text().c_str(), stdout); return 0;
        }
    } catch (...) {
        std::fprintf(stderr, "mptls: %s\n", one_line(mptls::current_exception_as_error().what()).c_str());
        return 1;
    }
    return 1;
}
