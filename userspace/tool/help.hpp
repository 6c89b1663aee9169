// SPDX-License-Identifier: MIT
// What `mptls --help`, `mptls help COMMAND` and `mptls --version` print.
// The man page is generated from this text (userspace/man/), so its layout
// is a contract: see help2roff.awk before changing it.
#pragma once

#include <optional>
#include <string>

#include "cli.hpp"

namespace mptls::tool {

// nullopt: the overview of every command; else that command's own help.
std::string help_text(std::optional<Command> topic);

// "mptls <version>", the version of the CMake project.
std::string version_text();

} // namespace mptls::tool
