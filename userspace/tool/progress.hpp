// SPDX-License-Identifier: MIT
// A transfer's progress on stderr; stdout carries only the results.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "cli.hpp"

namespace mptls::tool {

// Four redraws a second: often enough to look alive, rarely enough to cost
// nothing next to the transfer.
inline constexpr std::chrono::milliseconds kProgressInterval{250};

// automatic: only on a terminal; always (--progress): also into a file or pipe.
bool progress_wanted(ProgressMode mode, bool out_is_terminal);

// Redrawn by a thread of its own, so the display moves (and shows a stall)
// however long one send, sendfile or receive takes. On a terminal it is one
// line, rewritten in place and erased at the end; elsewhere each redraw is a
// line of its own, and the last one shows the total.
class Progress {
public:
    Progress(std::string label, std::uint64_t total, ProgressMode mode, std::FILE* out = stderr);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(std::uint64_t done) noexcept { done_.store(done, std::memory_order_relaxed); }
    void finish(); // stops the redraws; erases the line on a terminal
    bool active() const noexcept { return active_; }

private:
    void redraw_until_stopped(std::stop_token stop);
    void draw(bool last);

    const std::string label_;
    const std::uint64_t total_;
    std::FILE* const out_;
    const bool terminal_;
    bool active_;
    const std::chrono::steady_clock::time_point start_;
    std::atomic<std::uint64_t> done_{0};
    std::mutex mutex_; // only for the sleep between redraws
    std::condition_variable_any wake_;
    std::jthread redrawer_; // last: it starts once everything above is set
};

} // namespace mptls::tool
