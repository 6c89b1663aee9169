// SPDX-License-Identifier: MIT
// The JSON error object the tool prints on stdout in JSON mode.
#include <gtest/gtest.h>

#include "error_report.hpp"

namespace mptls::tool {
namespace {

TEST(FailureJson, UsageErrorWithoutACommand) {
    EXPECT_EQ(failure_json({.message = "unknown command \"x\"", .kind = Failure::usage}),
              R"({"error":{"message":"unknown command \"x\"","command":null,"kind":"usage"}})");
}

TEST(FailureJson, RuntimeErrorCarriesErrno) {
    EXPECT_EQ(failure_json({.message = "cannot connect to 127.0.0.1:1: Connection refused", .command = "client",
                            .sys_errno = 111}),
              R"({"error":{"message":"cannot connect to 127.0.0.1:1: Connection refused","command":"client",)"
              R"("kind":"runtime","errno":111}})");
}

TEST(FailureJson, ConnectionErrorNamesThePeerAndStaysValidJson) {
    EXPECT_EQ(failure_json({.message = "peer sent \"a\rb\x1b\"", .command = "server",
                            .kind = Failure::connection, .peer = "[::1]:5555"}),
              R"({"error":{"message":"peer sent \"a\rb\u001b\"","command":"server","kind":"connection",)"
              R"("peer":"[::1]:5555"}})");
}

} // namespace
} // namespace mptls::tool
