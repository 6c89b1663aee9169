// SPDX-License-Identifier: MIT
// The three subcommands of the tool. Each returns the process exit code.
#pragma once

#include "cli.hpp"

namespace mptls::tool {

int run_server(const Options& opts);
int run_client(const Options& opts);
int run_gen_ca(const Options& opts);

} // namespace mptls::tool
