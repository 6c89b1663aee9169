// SPDX-License-Identifier: MIT
// What one connection did, printed as JSON (--json) or one human line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mptls/mptcp_stats.hpp"
#include "mptls/secure_stream.hpp"

namespace mptls::tool {

struct HttpExchange {
    std::string path;
    int status = 0;
    std::uint64_t bytes = 0;
    std::string sha256; // hex, only with --check-data
    // Client: from writing the request to having read the whole body (with
    // --check-data, hashing it as it arrives included). The server leaves it empty.
    std::optional<double> ms;
    // Client: how the body was delimited: "content-length", "chunked",
    // "close" (to the end of the connection) or "none" (204, 304, 1xx).
    std::string framing;
};

struct TransferResult {
    std::string workload = "none"; // "bulk", "file", "http", "exec" or "none"
    std::uint64_t bytes_sent = 0;     // application payload we sent
    std::uint64_t bytes_received = 0; // application payload we received
    double duration_ms = 0;
    std::string verify = "off"; // "off" or "ok" (a mismatch is an error)
    std::optional<int> exit_status; // workload "exec": how the command ended
    std::vector<HttpExchange> requests;
};

struct ConnectionReport {
    std::string role; // "client" or "server"
    std::string local, peer;
    Transport transport = Transport::mptcp;
    std::string transport_note; // why we are on TCP although MPTCP was asked for
    StreamInfo tls;
    KeyUpdateCounts key_updates; // TLS 1.3 KeyUpdate messages, ours and the peer's
    MptcpStats mptcp;
    TransferResult transfer;
};

double goodput_mbps(const TransferResult& t);
std::string to_json(const ConnectionReport& r);
std::string to_human(const ConnectionReport& r);

} // namespace mptls::tool
