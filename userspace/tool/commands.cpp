// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>
#include <unistd.h>

#include "bulk.hpp"
#include "error_report.hpp"
#include "http.hpp"
#include "mptls/error.hpp"
#include "mptls/mptcp_stats.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"
#include "payload.hpp"
#include "report.hpp"
#include "wrapper.hpp"

namespace mptls::tool {
namespace {

constexpr std::size_t kMaxRequestLine = 8192;

void note(const std::string& text) { std::fprintf(stderr, "mptls: note: %s\n", text.c_str()); }

TlsSettings tls_settings(const Options& o, Role role) {
    return TlsSettings{
        .role = role,
        .version = o.tls,
        .cipher = o.cipher,
        .offload = o.offload,
        .cert_file = o.cert,
        .key_file = o.key,
        .ca_file = o.ca,
        .verify_peer = !o.insecure,
        .keylog_file = o.keylog,
    };
}

// Samples MPTCP counters (before closing, while subflows still exist),
// then exchanges close_notify: ours first, then wait for the peer's so the
// connection ends cleanly on both sides.
MptcpStats finish_connection(SecureStream& s) {
    MptcpStats stats = query_mptcp_stats(s.fd(), s.socket().is_mptcp);
    s.send_close_notify();
    char buf[kMaxRequestLine];
    while (!s.peer_closed()) {
        if (s.read_some(buf) != 0)
            throw Error("peer sent data after the transfer was complete");
    }
    return stats;
}

void print_report(const ConnectionReport& r, const Options& o) {
    const bool fell_back = r.transport == Transport::mptcp && r.mptcp.is_mptcp_socket &&
                           r.mptcp.fell_back.value_or(false);
    if (fell_back)
        note("the peer did not negotiate MPTCP, so this connection fell back to plain TCP");
    const std::string line = o.json ? to_json(r) : to_human(r);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

ConnectionReport make_report(const char* role, const SecureStream& s, const Options& o) {
    ConnectionReport r;
    r.role = role;
    r.local = local_address(s.fd());
    r.peer = peer_address(s.fd());
    r.transport = o.transport;
    r.transport_note = s.socket().note;
    r.tls = s.info();
    return r;
}

void write_ready_file(const std::string& path, const std::string& bound) {
    // Write then rename, so a poller never reads a half-written file.
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << bound << "\n";
        if (!out.flush())
            throw Error("cannot write " + tmp + ": check --ready-file");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        throw Error("cannot rename " + tmp + " to " + path + ": " + ec.message() + "; check --ready-file",
                    ec.value());
}

// accept(2) errors that belong to one incoming connection (see its man
// page: Linux passes pending network errors on), not to the listener.
bool is_transient_accept_error(int err) {
    switch (err) {
    case ENETDOWN: case EPROTO: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
    case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH: case ECONNRESET: case ETIMEDOUT:
        return true;
    default:
        return false;
    }
}

// Wrapper mode: the command gets the socket once the kernel has both keys
// and this process none (release_socket() wipes them); r gets its outcome.
CommandOutcome run_wrapped(SecureStream s, ConnectionReport& r, const Options& o) {
    const bool is_mptcp = s.socket().is_mptcp;
    const Socket sock = std::move(s).release_socket();
    const CommandOutcome out = run_command_on_socket(sock.fd.get(), o.exec_argv);
    r.transfer.workload = "exec";
    r.transfer.duration_ms = out.ms;
    r.transfer.exit_status = out.status;
    if (out.exec_errno == 0)
        r.mptcp = query_mptcp_stats(sock.fd.get(), is_mptcp);
    end_wrapped_connection(sock.fd.get(), kLingerAfterCommand);
    return out;
}

void serve_exec(Socket sock, TlsContext& ctx, const Options& o) {
    SecureStream s = SecureStream::establish(std::move(sock), ctx, "");
    ConnectionReport r = make_report("server", s, o);
    const CommandOutcome out = run_wrapped(std::move(s), r, o);
    if (out.exec_errno != 0)
        throw Error(command_start_error(o.exec_argv, out.exec_errno), out.exec_errno);
    print_report(r, o);
    if (out.status != 0)
        throw Error(o.exec_argv.front() + " exited with status " + std::to_string(out.status));
}

void serve_one(Socket sock, TlsContext& ctx, const Options& o) {
    if (!o.exec_argv.empty())
        return serve_exec(std::move(sock), ctx, o);
    SecureStream s = SecureStream::establish(std::move(sock), ctx, "");
    ConnectionReport r = make_report("server", s, o);
    const auto first = s.read_line(kMaxRequestLine);
    if (first && is_bulk_request(*first)) {
        const BulkSettings cfg{.verify = o.check_data, .marker = o.marker, .send_file = o.send_file,
                               .progress = o.progress, .key_update_every = o.key_update_every};
        r.transfer = serve_bulk(s, *first, cfg);
    } else if (first && is_http_request(*first)) {
        r.transfer = serve_http(s, *first, HttpServerSettings{.root = o.http_root, .marker = o.marker});
    } else if (first) {
        throw Error("client sent an unknown request \"" + first->substr(0, 80) +
                    "\"; connect with mptls client or an HTTP/1.1 client");
    }
    r.mptcp = finish_connection(s);
    r.key_updates = s.key_updates(); // the peer's answers arrive up to its close_notify
    print_report(r, o);
}

// At most `max` connections at once: the accept loop takes a slot before
// accept(2), so further clients wait in the listen queue.
class ConnectionSlots {
public:
    explicit ConnectionSlots(std::uint64_t max) : max_(max) {}
    void acquire() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return active_ < max_; });
        ++active_;
    }
    void release() {
        // Notified under the lock: once the last one is out, the waiter in
        // wait_until_idle() may return and destroy this object.
        const std::lock_guard lock(mutex_);
        --active_;
        changed_.notify_all();
    }
    void wait_until_idle() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return active_ == 0; });
    }

private:
    const std::uint64_t max_;
    std::mutex mutex_; // protects active_
    std::condition_variable changed_;
    std::uint64_t active_ = 0;
};

// One connection, whatever happens in it: nothing a peer sends may end the
// server. A failure is one line naming the peer, and counts.
void serve_guarded(Socket sock, TlsContext& ctx, const Options& o, std::atomic<int>& failures) {
    const std::string peer = peer_address(sock.fd.get());
    try {
        serve_one(std::move(sock), ctx, o);
    } catch (...) {
        Failure f = current_failure(Failure::connection, "server");
        f.peer = peer;
        report_failure(f, o.json);
        ++failures;
    }
}

} // namespace

std::string one_line(std::string_view message) {
    std::string out(message);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            c = '?';
    }
    return out;
}

int run_server(const Options& o) {
    TlsContext ctx(tls_settings(o, Role::server));
    std::error_code ec;
    if (!o.http_root.empty() && !std::filesystem::is_directory(o.http_root, ec))
        throw Error(o.http_root + " is not a directory; check --http-root");
    if (!o.send_file.empty())
        open_regular_file(o.send_file, "--send-file");

    const Listener listener = listen_on(*o.listen, o.transport);
    if (!listener.sock.note.empty())
        note(listener.sock.note);
    if (!o.ready_file.empty())
        write_ready_file(o.ready_file, listener.bound);
    std::fprintf(stderr, "mptls: listening on %s (%s)\n", listener.bound.c_str(),
                 listener.sock.is_mptcp ? "mptcp" : "tcp");

    // One connection at a time runs in this thread, as before --max-conns;
    // more run in a thread each. Their progress lines would overwrite each
    // other on a terminal, so a concurrent server shows them only with -p.
    Options conn_opts = o;
    if (o.max_conns > 1 && o.progress == ProgressMode::automatic)
        conn_opts.progress = ProgressMode::never;
    ConnectionSlots slots(o.max_conns);
    std::atomic<int> failures{0};
    for (std::uint64_t served = 0; o.count == 0 || served < o.count;) {
        slots.acquire();
        Socket sock;
        try {
            sock = accept_connection(listener);
        } catch (const Error& e) {
            slots.release();
            // accept(2) hands over network errors pending on the new
            // connection; that connection is gone, the listener is fine.
            if (!is_transient_accept_error(e.sys_errno())) {
                slots.wait_until_idle();
                throw;
            }
            std::fprintf(stderr, "mptls: %s\n", one_line(e.what()).c_str());
            continue;
        }
        ++served;
        if (o.max_conns == 1) {
            serve_guarded(std::move(sock), ctx, conn_opts, failures);
            slots.release();
            continue;
        }
        try {
            std::thread([&, sock = std::move(sock)]() mutable {
                serve_guarded(std::move(sock), ctx, conn_opts, failures);
                slots.release();
            }).detach();
        } catch (const std::system_error& e) {
            // No thread: that connection is closed unserved; the next may fare better.
            slots.release();
            std::fprintf(stderr, "mptls: cannot start a thread for a connection (%s); it was closed\n",
                         e.what());
            ++failures;
        }
    }
    slots.wait_until_idle();
    return failures == 0 ? 0 : 1;
}

int run_client(const Options& o) {
    TlsContext ctx(tls_settings(o, Role::client));
    Socket sock = connect_to(*o.connect, o.transport);
    if (!sock.note.empty())
        note(sock.note);
    const std::string peer_name = o.servername.empty() ? o.connect->host : o.servername;
    SecureStream s = SecureStream::establish(std::move(sock), ctx, peer_name);
    ConnectionReport r = make_report("client", s, o);

    if (!o.exec_argv.empty()) {
        // The command's exit status is ours, as with env(1) or timeout(1).
        const CommandOutcome out = run_wrapped(std::move(s), r, o);
        if (out.exec_errno != 0) {
            std::fprintf(stderr, "mptls: %s\n", command_start_error(o.exec_argv, out.exec_errno).c_str());
            return out.status;
        }
        print_report(r, o);
        return out.status;
    }
    if (!o.get_paths.empty()) {
        r.transfer = run_http_client(s, peer_name, o.get_paths, o.check_data);
    } else if (o.bytes || !o.send_file.empty() || o.direction == Direction::down) {
        // A bare --direction down fetches whatever the server offers (its --send-file).
        const BulkSettings cfg{.verify = o.check_data, .marker = o.marker, .send_file = o.send_file,
                               .progress = o.progress, .key_update_every = o.key_update_every};
        const auto start = std::chrono::steady_clock::now();
        r.transfer = run_bulk_client(s, o.direction, o.bytes.value_or(0), cfg);
        r.mptcp = finish_connection(s);
        r.key_updates = s.key_updates();
        // An upload is done when the server has it all, not when our kernel
        // took the last byte: the server sends its close_notify only after
        // reading the whole payload, so the upload is timed to its arrival.
        if (o.direction == Direction::up)
            r.transfer.duration_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        print_report(r, o);
        return 0;
    }
    r.mptcp = finish_connection(s);
    print_report(r, o);
    return 0;
}

int run_gen_ca(const Options& o) {
    const TestPki pki = generate_test_pki(o.pki_dir, o.sans);
    std::printf("CA certificate:     %s\nCA key:             %s\nserver certificate: %s\n"
                "server key:         %s\n",
                pki.ca_cert.c_str(), pki.ca_key.c_str(), pki.server_cert.c_str(), pki.server_key.c_str());
    return 0;
}

} // namespace mptls::tool
