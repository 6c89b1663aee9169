// SPDX-License-Identifier: MIT
// The three subcommands of the tool. Each returns the process exit code.
#pragma once

#include <string>
#include <string_view>

#include "cli.hpp"

namespace mptls::tool {

int run_server(const Options& opts);
int run_client(const Options& opts);
int run_gen_ca(const Options& opts);

// An error sentence as one printable line: messages quote what a peer sent,
// so control characters (a '\r', terminal escapes) become '?'.
std::string one_line(std::string_view message);

} // namespace mptls::tool
