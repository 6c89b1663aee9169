// SPDX-License-Identifier: MIT
// What MPTCP did for a connection: subflows, bytes per subflow, fallback.
// Everything degrades to "unknown" on kernels lacking a getsockopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mptls {

struct SubflowStats {
    std::string local;
    std::string remote;
    std::uint64_t bytes_sent = 0;     // tcpi_bytes_sent (includes retransmits)
    std::uint64_t bytes_acked = 0;    // tcpi_bytes_acked
    std::uint64_t bytes_received = 0; // tcpi_bytes_received
};

struct MptcpStats {
    bool is_mptcp_socket = false;
    // Connection runs on a single plain TCP flow although the socket is MPTCP
    // (the peer did not answer with MP_CAPABLE). Unknown if nullopt.
    std::optional<bool> fell_back;
    std::optional<unsigned> subflows;   // as reported by MPTCP_INFO
    std::vector<SubflowStats> per_subflow; // from MPTCP_TCPINFO/MPTCP_SUBFLOW_ADDRS
    std::string note;                   // why something is missing
};

MptcpStats query_mptcp_stats(int fd, bool is_mptcp_socket);

} // namespace mptls
