// SPDX-License-Identifier: MIT
// How HTTP requests appear in the JSON and the human report.
#include <gtest/gtest.h>

#include "report.hpp"

namespace mptls::tool {
namespace {

ConnectionReport http_client_report() {
    ConnectionReport r;
    r.role = "client";
    r.transfer.workload = "http";
    r.transfer.verify = "ok";
    r.transfer.requests.push_back(
        HttpExchange{.path = "/a", .status = 200, .bytes = 15, .sha256 = "00ff", .ms = 1.25});
    r.transfer.requests.push_back(
        HttpExchange{.path = "/b", .status = 404, .bytes = 10, .sha256 = {}, .ms = std::nullopt});
    return r;
}

TEST(Report, JsonCarriesPerRequestTimeWhenMeasured) {
    const std::string json = to_json(http_client_report());
    EXPECT_NE(json.find("\"verify\":\"ok\""), std::string::npos) << json;
    EXPECT_NE(json.find(R"({"path":"/a","status":200,"bytes":15,"ms":1.250,"sha256":"00ff"})"),
              std::string::npos) << json;
    // The server does not time requests: no "ms" rather than a made-up 0.
    EXPECT_NE(json.find(R"({"path":"/b","status":404,"bytes":10})"), std::string::npos) << json;
}

TEST(Report, HumanLineShowsTimeAndDigestPerRequest) {
    const std::string text = to_human(http_client_report());
    EXPECT_NE(text.find(", verify ok\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  GET /a -> 200, 15 bytes in 1.250 ms, sha256 00ff"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  GET /b -> 404, 10 bytes"), std::string::npos) << text;
    EXPECT_EQ(text.find("/b -> 404, 10 bytes in"), std::string::npos) << text;
}

// A server reports the paths its peers asked for: whatever bytes they sent
// must leave the JSON valid UTF-8 and the human line free of control bytes.
TEST(Report, PeerPathsCannotBreakTheOutput) {
    ConnectionReport r;
    r.role = "server";
    r.transfer.workload = "http";
    r.transfer.requests.push_back(HttpExchange{.path = "/caf\xc3\xa9\xff\r\x1b[2J\xc0\xaf\xed\xa0\x80\xf0\x9f\x98",
                                               .status = 404, .bytes = 10, .sha256 = {}, .ms = std::nullopt});
    const std::string json = to_json(r);
    EXPECT_NE(json.find(R"({"path":"/caf)" "\xc3\xa9" R"(\ufffd\r\u001b[2J\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd",)"),
              std::string::npos) << json;
    const std::string text = to_human(r);
    EXPECT_NE(text.find("\n  GET /caf\xc3\xa9\xff??[2J"), std::string::npos) << text;
}

// Wrapper mode: the command moved the data; the report says how it ended
// and claims no byte counts in the human line.
TEST(Report, WrappedCommandShowsItsExitStatus) {
    ConnectionReport r;
    r.role = "server";
    r.transfer.workload = "exec";
    r.transfer.duration_ms = 12.5;
    r.transfer.exit_status = 3;
    EXPECT_TRUE(to_human(r).ends_with(", command ran 12.5 ms, exit status 3")) << to_human(r);
    EXPECT_NE(to_json(r).find(R"("workload":"exec",)"), std::string::npos) << to_json(r);
    EXPECT_NE(to_json(r).find(R"("verify":"off","exit_status":3})"), std::string::npos) << to_json(r);
}

TEST(Report, EachRequestNamesItsFraming) {
    ConnectionReport r = http_client_report();
    r.transfer.requests[0].framing = "chunked";
    EXPECT_NE(to_json(r).find(R"("ms":1.250,"framing":"chunked","sha256":"00ff"})"), std::string::npos)
        << to_json(r);
    EXPECT_NE(to_human(r).find("\n  GET /a -> 200, 15 bytes (chunked) in 1.250 ms"), std::string::npos)
        << to_human(r);
}

} // namespace
} // namespace mptls::tool
