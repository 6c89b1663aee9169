// SPDX-License-Identifier: MIT
#include "mptls/mptcp_stats.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
// The uapi tcp_info has the byte counters glibc's copy lacks, so this file
// uses the kernel headers and not <netinet/tcp.h>.
#include <linux/mptcp.h>
#include <linux/tcp.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "mptls/address.hpp"

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

namespace mptls {
namespace {

// MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS return a header followed by an array
// whose element stride is what we asked for in size_user.
template <typename Elem>
std::vector<Elem> get_subflow_array(int fd, int optname, int& err) {
    constexpr unsigned max_subflows = 16;
    std::vector<unsigned char> buf(sizeof(mptcp_subflow_data) + max_subflows * sizeof(Elem));
    mptcp_subflow_data head{};
    head.size_subflow_data = sizeof head;
    head.size_user = sizeof(Elem);
    std::memcpy(buf.data(), &head, sizeof head);
    socklen_t len = static_cast<socklen_t>(buf.size());
    if (getsockopt(fd, SOL_MPTCP, optname, buf.data(), &len) != 0) {
        err = errno;
        return {};
    }
    std::memcpy(&head, buf.data(), sizeof head);
    const unsigned n = std::min(head.num_subflows, max_subflows);
    std::vector<Elem> out(n);
    const std::size_t copy = std::min<std::size_t>(head.size_user, sizeof(Elem));
    for (unsigned i = 0; i < n; ++i)
        std::memcpy(&out[i], buf.data() + head.size_subflow_data + i * head.size_user, copy);
    err = 0;
    return out;
}

} // namespace

MptcpStats query_mptcp_stats(int fd, bool is_mptcp_socket) {
    MptcpStats st;
    st.is_mptcp_socket = is_mptcp_socket;
    if (!is_mptcp_socket) {
        st.note = "plain TCP socket";
        return st;
    }

    mptcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) == 0) {
        // Older kernels report nothing useful for a fallen-back connection
        // but do set the flag on newer ones.
        st.fell_back = (info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) != 0;
        st.subflows = info.mptcpi_subflows;
    } else if (errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
        // A fallen-back MPTCP socket forwards getsockopt to its only TCP
        // subflow, which knows nothing about SOL_MPTCP.
        st.fell_back = true;
        st.note = "peer did not negotiate MPTCP: connection fell back to TCP";
        return st;
    } else {
        st.note = std::string("MPTCP_INFO unavailable: ") + std::strerror(errno);
    }

    int err_info = 0, err_addr = 0;
    auto tcpinfos = get_subflow_array<tcp_info>(fd, MPTCP_TCPINFO, err_info);
    auto addrs = get_subflow_array<mptcp_subflow_addrs>(fd, MPTCP_SUBFLOW_ADDRS, err_addr);
    if (err_info != 0) {
        st.note = std::string("per-subflow counters unavailable (MPTCP_TCPINFO: ") +
                  std::strerror(err_info) + ")";
        return st;
    }
    for (std::size_t i = 0; i < tcpinfos.size(); ++i) {
        SubflowStats sf{
            .local = "?",
            .remote = "?",
            .bytes_sent = tcpinfos[i].tcpi_bytes_sent,
            .bytes_acked = tcpinfos[i].tcpi_bytes_acked,
            .bytes_received = tcpinfos[i].tcpi_bytes_received,
        };
        if (err_addr == 0 && i < addrs.size()) {
            sf.local = format_address(&addrs[i].sa_local, sizeof addrs[i].ss_local);
            sf.remote = format_address(&addrs[i].sa_remote, sizeof addrs[i].ss_remote);
        }
        st.per_subflow.push_back(std::move(sf));
    }
    return st;
}

} // namespace mptls
