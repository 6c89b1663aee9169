// SPDX-License-Identifier: MIT
// A one-line progress display for long transfers, shown only on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mptls::tool {

class Progress {
public:
    // Enabled only when stdout is a terminal and enabled is true.
    Progress(std::string label, std::uint64_t total, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(std::uint64_t done);
    void finish(); // erases the line

private:
    std::string label_;
    std::uint64_t total_;
    bool active_;
    std::chrono::steady_clock::time_point start_, last_;
};

} // namespace mptls::tool
