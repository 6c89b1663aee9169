// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <cstdio>

#include "commands.hpp"
#include "json.hpp"

namespace mptls::tool {

double goodput_mbps(const TransferResult& t) {
    if (t.duration_ms <= 0)
        return 0;
    return static_cast<double>(t.bytes_sent + t.bytes_received) * 8 / (t.duration_ms / 1000) / 1e6;
}

namespace {

void write_optional_bool(JsonWriter& j, const std::optional<bool>& b) {
    if (b) j.value(*b);
    else j.null();
}

} // namespace

std::string to_json(const ConnectionReport& r) {
    JsonWriter j;
    j.begin_object();
    j.key("role").value(r.role);
    j.key("local").value(r.local);
    j.key("peer").value(r.peer);
    j.key("transport").value(transport_name(r.transport));
    j.key("mptcp_socket").value(r.mptcp.is_mptcp_socket);
    // true: an MPTCP socket whose connection runs as plain TCP. null: unknown.
    j.key("fell_back_to_tcp");
    if (r.transport == Transport::tcp) j.null();
    else if (!r.mptcp.is_mptcp_socket) j.value(true);
    else write_optional_bool(j, r.mptcp.fell_back);
    // MPTCP_INFO counts subflows beyond the initial one.
    j.key("extra_subflows");
    if (r.mptcp.subflows) j.value(std::uint64_t{*r.mptcp.subflows});
    else j.null();
    // Subflows seen by MPTCP_TCPINFO when we sampled (just before closing).
    j.key("subflows_used");
    if (!r.mptcp.per_subflow.empty()) j.value(std::uint64_t{r.mptcp.per_subflow.size()});
    else j.null();
    j.key("subflow_stats").begin_array();
    for (const auto& sf : r.mptcp.per_subflow) {
        j.begin_object();
        j.key("local").value(sf.local);
        j.key("remote").value(sf.remote);
        j.key("bytes_sent").value(sf.bytes_sent);
        j.key("bytes_acked").value(sf.bytes_acked);
        j.key("bytes_received").value(sf.bytes_received);
        j.end_object();
    }
    j.end_array();
    std::string note = r.transport_note;
    if (!r.mptcp.note.empty())
        note += (note.empty() ? "" : "; ") + r.mptcp.note;
    j.key("mptcp_note").value(note);
    j.key("tls_version").value(r.tls.tls_version);
    j.key("cipher").value(r.tls.cipher_suite);
    j.key("offload").begin_object();
    j.key("tx").value(r.tls.tx_in_kernel ? "kernel" : "user");
    j.key("rx").value(r.tls.rx_in_kernel ? "kernel" : "user");
    j.end_object();
    j.key("record_seq_at_switch");
    if (r.tls.tx_in_kernel) {
        j.begin_object();
        j.key("tx").value(r.tls.tx_seq_at_switch);
        j.key("rx").value(r.tls.rx_seq_at_switch);
        j.end_object();
    } else {
        j.null();
    }
    j.key("handshake_ms").value(r.tls.handshake_ms);
    j.key("key_updates_sent").value(r.key_updates.sent);
    j.key("key_updates_received").value(r.key_updates.received);
    j.key("workload").value(r.transfer.workload);
    j.key("bytes_sent").value(r.transfer.bytes_sent);
    j.key("bytes_received").value(r.transfer.bytes_received);
    j.key("duration_ms").value(r.transfer.duration_ms);
    j.key("goodput_mbps").value(goodput_mbps(r.transfer));
    j.key("verify").value(r.transfer.verify);
    if (r.transfer.exit_status)
        j.key("exit_status").value(static_cast<std::uint64_t>(*r.transfer.exit_status));
    if (!r.transfer.requests.empty()) {
        j.key("requests").begin_array();
        for (const auto& x : r.transfer.requests) {
            j.begin_object();
            j.key("path").value(x.path);
            j.key("status").value(static_cast<std::uint64_t>(x.status));
            j.key("bytes").value(x.bytes);
            if (x.ms)
                j.key("ms").value(*x.ms);
            if (!x.framing.empty())
                j.key("framing").value(x.framing);
            if (!x.sha256.empty())
                j.key("sha256").value(x.sha256);
            j.end_object();
        }
        j.end_array();
    }
    j.end_object();
    return j.str();
}

std::string to_human(const ConnectionReport& r) {
    std::string path;
    if (r.transport == Transport::tcp) {
        path = "tcp";
    } else if (!r.mptcp.is_mptcp_socket || r.mptcp.fell_back.value_or(false)) {
        path = "mptcp (fell back to tcp)";
    } else if (!r.mptcp.per_subflow.empty()) {
        const auto n = r.mptcp.per_subflow.size();
        path = "mptcp (" + std::to_string(n) + (n == 1 ? " subflow)" : " subflows)");
    } else {
        path = "mptcp";
    }
    char buf[512];
    std::snprintf(buf, sizeof buf, "%s %s <-> %s: %s %s, offload tx=%s rx=%s, %s, handshake %.1f ms, ",
                  r.role.c_str(), r.local.c_str(), r.peer.c_str(), r.tls.tls_version.c_str(),
                  r.tls.cipher_suite.c_str(), r.tls.tx_in_kernel ? "kernel" : "user",
                  r.tls.rx_in_kernel ? "kernel" : "user", path.c_str(), r.tls.handshake_ms);
    std::string out = buf;
    if (r.transfer.exit_status) {
        // Wrapper mode: the command moved the data, uncounted by the tool.
        std::snprintf(buf, sizeof buf, "command ran %.1f ms, exit status %d", r.transfer.duration_ms,
                      *r.transfer.exit_status);
    } else {
        std::snprintf(buf, sizeof buf, "sent %llu B, received %llu B in %.1f ms (%.1f Mbit/s), verify %s",
                      static_cast<unsigned long long>(r.transfer.bytes_sent),
                      static_cast<unsigned long long>(r.transfer.bytes_received), r.transfer.duration_ms,
                      goodput_mbps(r.transfer), r.transfer.verify.c_str());
    }
    out += buf;
    if (r.key_updates.sent != 0 || r.key_updates.received != 0)
        out += ", key updates sent " + std::to_string(r.key_updates.sent) + " received " +
               std::to_string(r.key_updates.received);
    for (const auto& x : r.transfer.requests) {
        out += "\n  GET " + one_line(x.path) + " -> " + std::to_string(x.status) + ", " +
               std::to_string(x.bytes) + " bytes";
        if (!x.framing.empty())
            out += " (" + x.framing + ")";
        if (x.ms) {
            std::snprintf(buf, sizeof buf, " in %.3f ms", *x.ms);
            out += buf;
        }
        if (!x.sha256.empty())
            out += ", sha256 " + x.sha256;
    }
    return out;
}

} // namespace mptls::tool
