// SPDX-License-Identifier: MIT
#include "progress.hpp"

#include <unistd.h>

namespace mptls::tool {

bool progress_wanted(ProgressMode mode, bool out_is_terminal) {
    switch (mode) {
    case ProgressMode::automatic: return out_is_terminal;
    case ProgressMode::always: return true;
    case ProgressMode::never: return false;
    }
    return false;
}

Progress::Progress(std::string label, std::uint64_t total, ProgressMode mode, std::FILE* out)
    : label_(std::move(label)), total_(total), out_(out), terminal_(isatty(fileno(out)) == 1),
      active_(progress_wanted(mode, terminal_)), start_(std::chrono::steady_clock::now()) {
    if (active_)
        redrawer_ = std::jthread([this](std::stop_token stop) { redraw_until_stopped(stop); });
}

Progress::~Progress() { finish(); }

void Progress::redraw_until_stopped(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    for (;;) {
        // Returns at the interval, or at once when finish() asks to stop.
        wake_.wait_for(lock, stop, kProgressInterval, [] { return false; });
        if (stop.stop_requested())
            return;
        draw(false);
    }
}

void Progress::draw(bool last) {
    const std::uint64_t done = done_.load(std::memory_order_relaxed);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double mbit = secs > 0 ? static_cast<double>(done) * 8 / secs / 1e6 : 0;
    const double pct = total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
    std::fprintf(out_, "%s%s %5.1f%%  %llu/%llu bytes  %.1f Mbit/s%s", terminal_ ? "\r" : "", label_.c_str(),
                 pct, static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), mbit,
                 terminal_ ? "\033[K" : (last ? " done\n" : "\n"));
    std::fflush(out_);
}

void Progress::finish() {
    if (!active_)
        return;
    active_ = false;
    redrawer_.request_stop();
    redrawer_.join();
    if (terminal_) {
        std::fputs("\r\033[K", out_);
        std::fflush(out_);
    } else {
        draw(true);
    }
}

} // namespace mptls::tool
