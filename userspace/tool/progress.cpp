// SPDX-License-Identifier: MIT
#include "progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace mptls::tool {

Progress::Progress(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), active_(enabled && isatty(STDOUT_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
    if (!active_)
        return;
    const auto now = std::chrono::steady_clock::now();
    // Redrawing more often than 4 times a second only costs throughput.
    if (now - last_ < std::chrono::milliseconds(250) && done < total_)
        return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double mbit = secs > 0 ? static_cast<double>(done) * 8 / secs / 1e6 : 0;
    const double pct = total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
    std::printf("\r%s %5.1f%%  %llu/%llu bytes  %.1f Mbit/s ", label_.c_str(), pct,
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), mbit);
    std::fflush(stdout);
}

void Progress::finish() {
    if (!active_)
        return;
    std::printf("\r\033[K");
    std::fflush(stdout);
    active_ = false;
}

} // namespace mptls::tool
