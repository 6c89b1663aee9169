// SPDX-License-Identifier: MIT
// The progress display: when it is shown, where it goes, how often.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "progress.hpp"

namespace mptls::tool {
namespace {

// A file to draw into (not a terminal), read back afterwards.
class ProgressFile : public ::testing::Test {
protected:
    void SetUp() override { file_ = std::tmpfile(); ASSERT_NE(file_, nullptr); }
    void TearDown() override { std::fclose(file_); }
    std::string text() {
        std::fflush(file_);
        std::rewind(file_);
        std::string out;
        for (int c; (c = std::fgetc(file_)) != EOF;)
            out += static_cast<char>(c);
        return out;
    }
    static std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }
    std::FILE* file_ = nullptr;
};

TEST(ProgressWanted, TerminalOrAskedFor) {
    EXPECT_TRUE(progress_wanted(ProgressMode::automatic, true));
    EXPECT_FALSE(progress_wanted(ProgressMode::automatic, false));
    EXPECT_TRUE(progress_wanted(ProgressMode::always, false));
    EXPECT_FALSE(progress_wanted(ProgressMode::never, true));
}

// The display is redrawn on its own at least twice a second, also when no
// update() comes (one send that blocks, a stalled peer).
TEST_F(ProgressFile, RedrawsAtLeastTwiceASecondWithoutUpdates) {
    static_assert(kProgressInterval <= std::chrono::milliseconds(500));
    {
        Progress p("upload", 1000, ProgressMode::always, file_);
        EXPECT_TRUE(p.active());
        p.update(250);
        std::this_thread::sleep_for(std::chrono::milliseconds(1600));
        const std::string during = text();
        // 1.6 s at 4 a second is 6 redraws; 3 leaves room for a loaded host.
        EXPECT_GE(lines(during), 3u) << during;
        EXPECT_NE(during.find("upload  25.0%  250/1000 bytes"), std::string::npos) << during;
        p.update(1000);
    }
    const std::string all = text();
    EXPECT_TRUE(all.ends_with(" done\n")) << all;
    EXPECT_NE(all.find("upload 100.0%  1000/1000 bytes"), std::string::npos) << all;
    EXPECT_EQ(all.find('\r'), std::string::npos); // not a terminal: plain lines
}

TEST_F(ProgressFile, AutomaticIsSilentOffATerminal) {
    {
        Progress p("download", 10, ProgressMode::automatic, file_);
        EXPECT_FALSE(p.active());
        p.update(5);
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
    }
    EXPECT_EQ(text(), "");
}

TEST_F(ProgressFile, NeverIsSilent) {
    {
        Progress p("download", 10, ProgressMode::never, file_);
        p.update(10);
        p.finish();
    }
    EXPECT_EQ(text(), "");
}

TEST_F(ProgressFile, FinishStopsPromptlyAndOnce) {
    const auto start = std::chrono::steady_clock::now();
    Progress p("upload", 1, ProgressMode::always, file_);
    p.update(1);
    p.finish();
    p.finish();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
    EXPECT_EQ(lines(text()), 1u) << text();
}

} // namespace
} // namespace mptls::tool
