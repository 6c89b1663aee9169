// SPDX-License-Identifier: MIT
// The one error type at the boundary: whatever is thrown becomes an Error
// with a sentence for the user, never a bare std what() like "stoull".
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

#include "mptls/error.hpp"

namespace mptls {
namespace {

template <class F>
Error caught(F&& throw_it) {
    try {
        throw_it();
    } catch (...) {
        return current_exception_as_error();
    }
    return Error("(nothing thrown)");
}

TEST(BoundaryError, AnErrorStaysAsItIs) {
    const Error e = caught([] { throw Error("cannot read x; check --cert", EACCES); });
    EXPECT_STREQ(e.what(), "cannot read x; check --cert");
    EXPECT_EQ(e.sys_errno(), EACCES);
}

TEST(BoundaryError, StdLogicErrorsAreInternalErrorsWithoutTheirWhat) {
    const Error e = caught([] { (void)std::stoull("x"); });
    EXPECT_STREQ(e.what(), "internal error (unexpected std::invalid_argument); please report it as an mptls "
                           "bug, with the command line that caused it");
    const Error r = caught([] { (void)std::string("ab").substr(5); });
    EXPECT_EQ(std::string(r.what()).find("internal error (unexpected std::out_of_range)"), 0u) << r.what();
    EXPECT_EQ(std::string(r.what()).find("basic_string"), std::string::npos) << r.what();
}

TEST(BoundaryError, OutOfMemory) {
    const Error e = caught([] { throw std::bad_alloc(); });
    EXPECT_STREQ(e.what(), "out of memory; free some memory or ask for smaller sizes");
    EXPECT_EQ(e.sys_errno(), ENOMEM);
}

TEST(BoundaryError, FileSystemErrorsNameThePath) {
    const Error e = caught([] { (void)std::filesystem::file_size("/nonexistent/mptls-x"); });
    EXPECT_STREQ(e.what(), "file system error on /nonexistent/mptls-x: No such file or directory; check the "
                           "path and its permissions");
    EXPECT_EQ(e.sys_errno(), ENOENT);
}

TEST(BoundaryError, SystemErrors) {
    const Error e = caught([] { throw std::system_error(EAGAIN, std::generic_category(), "thread"); });
    EXPECT_EQ(std::string(e.what()).find("a system call failed: Resource temporarily unavailable; "), 0u)
        << e.what();
    EXPECT_EQ(e.sys_errno(), EAGAIN);
}

TEST(BoundaryError, FileSystemErrorWithoutAPath) {
    const Error e = caught([] {
        throw std::filesystem::filesystem_error("x", std::make_error_code(std::errc::permission_denied));
    });
    EXPECT_STREQ(e.what(), "file system error: Permission denied; check the path and its permissions");
}

TEST(BoundaryError, AnythingElse) {
    const Error e = caught([] { throw 42; });
    EXPECT_EQ(std::string(e.what()).find("internal error (an unknown exception)"), 0u) << e.what();
}

} // namespace
} // namespace mptls
