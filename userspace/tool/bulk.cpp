// SPDX-License-Identifier: MIT
#include "bulk.hpp"

#include <chrono>
#include <cstring>
#include <optional>
#include <algorithm>

#include "mptls/error.hpp"
#include "payload.hpp"
#include "progress.hpp"

namespace mptls::tool {
namespace {

constexpr std::string_view kMagic = "MPTLS-BULK/1";
constexpr std::size_t kChunk = 256 * 1024;
constexpr std::size_t kMaxLine = 1024;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// --key-update-every: one KeyUpdate asking the peer to update too per
// `every` payload bytes this side moved, sent or received, so that a
// one-way transfer still moves both directions' keys (the peer answers).
class KeyUpdatePacer {
public:
    KeyUpdatePacer(SecureStream& s, std::uint64_t every) : s_(s), every_(every) {}
    // Bytes to move before the next update: the size of the next I/O call.
    std::uint64_t room() const noexcept { return every_ == 0 ? kMaxU64 : every_ - since_; }
    void moved(std::uint64_t n) {
        if (every_ == 0)
            return;
        since_ += n;
        while (since_ >= every_) {
            s_.update_keys(true);
            since_ -= every_;
        }
    }

private:
    SecureStream& s_;
    const std::uint64_t every_;
    std::uint64_t since_ = 0;
};

// Writes len bytes and returns their SHA-256 when verify is on.
std::optional<Digest> send_payload(SecureStream& s, std::uint64_t len, const BulkSettings& cfg,
                                   const char* label) {
    Progress progress(label, len, cfg.progress);
    KeyUpdatePacer pacer(s, cfg.key_update_every);
    if (!cfg.send_file.empty()) {
        const OpenFile file = open_regular_file(cfg.send_file, "--send-file");
        if (file.size < len)
            throw Error(cfg.send_file + " shrank while being sent; keep it unchanged during the transfer");
        std::optional<Digest> digest;
        if (cfg.verify)
            digest = digest_of_file(file.fd.get(), len);
        // sendfile(2) in slices, so the progress display has something to
        // count: 1 MiB (a multiple of the 16 KiB record) with a display;
        // without one, 64 MiB, so measured transfers make few calls.
        const std::uint64_t slice = progress.active() ? 1ull << 20 : 64ull << 20;
        for (std::uint64_t off = 0; off < len;) {
            const std::uint64_t n = std::min({slice, len - off, pacer.room()});
            s.send_file(file.fd.get(), off, n);
            off += n;
            progress.update(off);
            pacer.moved(n);
        }
        return digest;
    }
    const std::vector<char> pattern = make_pattern(cfg.marker, kChunk);
    std::optional<Sha256> sha;
    if (cfg.verify)
        sha.emplace();
    for (std::uint64_t done = 0; done < len;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({kChunk, len - done, pacer.room()}));
        s.write_all({pattern.data(), n});
        if (sha)
            sha->update({pattern.data(), n});
        done += n;
        progress.update(done);
        pacer.moved(n);
    }
    if (sha)
        return sha->finish();
    return std::nullopt;
}

std::optional<Digest> receive_payload(SecureStream& s, std::uint64_t len, bool verify, ProgressMode show,
                                      std::uint64_t key_update_every, const char* label) {
    Progress progress(label, len, show);
    KeyUpdatePacer pacer(s, key_update_every);
    std::vector<char> buf(kChunk);
    std::optional<Sha256> sha;
    if (verify)
        sha.emplace();
    for (std::uint64_t done = 0; done < len;) {
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>({buf.size(), len - done, pacer.room()}));
        const std::size_t n = s.read_some({buf.data(), want});
        if (n == 0)
            throw Error("peer ended the connection after " + std::to_string(done) + " of " +
                        std::to_string(len) + " bytes; check the peer's log");
        if (sha)
            sha->update({buf.data(), n});
        done += n;
        progress.update(done);
        pacer.moved(n);
    }
    if (sha)
        return sha->finish();
    return std::nullopt;
}

Digest read_digest(SecureStream& s) {
    Digest d{};
    if (!s.read_exact({reinterpret_cast<char*>(d.data()), d.size()}))
        throw Error("peer closed the connection before sending its SHA-256; check the peer's log");
    return d;
}

void write_digest(SecureStream& s, const Digest& d) {
    s.write_all({reinterpret_cast<const char*>(d.data()), d.size()});
}

[[noreturn]] void digest_mismatch(const Digest& sent, const Digest& received) {
    throw Error("--check-data failed: the SHA-256 of the received stream (" + to_hex(received) +
                ") differs from the sender's (" + to_hex(sent) +
                "); data was corrupted, retry with --offload user to locate the fault");
}

// Sender: send our digest, then check the receiver's.
void verify_as_sender(SecureStream& s, const Digest& sent) {
    write_digest(s, sent);
    const Digest theirs = read_digest(s);
    if (theirs != sent)
        digest_mismatch(sent, theirs);
}

// Receiver: check the sender's digest, then send ours so it can check too.
void verify_as_receiver(SecureStream& s, const Digest& received) {
    const Digest theirs = read_digest(s);
    write_digest(s, received);
    if (theirs != received)
        digest_mismatch(theirs, received);
}

} // namespace

bool is_bulk_request(const std::string& first_line) { return first_line.starts_with(kMagic); }

std::optional<BulkRequest> parse_bulk_request(std::string_view line) {
    // Exactly "<magic> <dir> <bytes> <verify>", single spaces, nothing after.
    std::string_view field[4];
    for (std::size_t i = 0; i < 3; ++i) {
        const std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos)
            return std::nullopt;
        field[i] = line.substr(0, sp);
        line.remove_prefix(sp + 1);
    }
    field[3] = line; // the last one: a space in it is caught below
    if (field[0] != kMagic)
        return std::nullopt;
    BulkRequest r;
    if (field[1] == "up") r.direction = Direction::up;
    else if (field[1] == "down") r.direction = Direction::down;
    else return std::nullopt;
    const DecimalParse n = parse_decimal(field[2]); // no sign, no wrap-around
    if (n.status != DecimalParse::ok)
        return std::nullopt;
    r.bytes = n.value;
    if (field[3] == "verify") r.verify = true;
    else if (field[3] != "noverify") return std::nullopt;
    return r;
}

std::optional<std::uint64_t> parse_bulk_reply(std::string_view line) {
    if (!line.starts_with("OK "))
        return std::nullopt;
    const DecimalParse n = parse_decimal(line.substr(3));
    if (n.status != DecimalParse::ok)
        return std::nullopt;
    return n.value;
}

TransferResult run_bulk_client(SecureStream& s, Direction direction, std::uint64_t bytes,
                               const BulkSettings& cfg) {
    TransferResult r;
    r.workload = cfg.send_file.empty() ? "bulk" : "file";
    if (!cfg.send_file.empty())
        bytes = open_regular_file(cfg.send_file, "--send-file").size;

    const auto start = Clock::now();
    const std::string request = std::string(kMagic) + (direction == Direction::up ? " up " : " down ") +
                                std::to_string(bytes) + (cfg.verify ? " verify\n" : " noverify\n");
    s.write_all(request);
    const auto reply = s.read_line(kMaxLine);
    if (!reply)
        throw Error("server closed the connection without answering the transfer request");
    if (reply->starts_with("ERR "))
        throw Error("server refused the transfer: " + reply->substr(4));
    const auto ok = parse_bulk_reply(*reply);
    if (!ok)
        throw Error("server answered \"" + reply->substr(0, 80) + "\"; is it an mptls server?");
    const std::uint64_t len = *ok;

    if (direction == Direction::up) {
        const auto digest = send_payload(s, len, cfg, "upload");
        r.bytes_sent = len;
        if (digest)
            verify_as_sender(s, *digest);
    } else {
        const auto digest = receive_payload(s, len, cfg.verify, cfg.progress, cfg.key_update_every, "download");
        r.bytes_received = len;
        if (digest)
            verify_as_receiver(s, *digest);
    }
    r.verify = cfg.verify ? "ok" : "off";
    r.duration_ms = ms_since(start);
    return r;
}

TransferResult serve_bulk(SecureStream& s, const std::string& request_line, const BulkSettings& cfg) {
    const auto start = Clock::now();
    const auto req = parse_bulk_request(request_line);
    if (!req) {
        s.write_all(std::string("ERR malformed request; use an mptls client of the same version\n"));
        throw Error("client sent a malformed transfer request \"" + request_line.substr(0, 80) + "\"");
    }
    TransferResult r;
    r.workload = "bulk";
    BulkSettings send_cfg = cfg;
    send_cfg.verify = req->verify;
    std::uint64_t len = req->bytes;
    if (req->direction == Direction::down && !cfg.send_file.empty()) {
        // The server's file wins over the requested size.
        len = open_regular_file(cfg.send_file, "--send-file").size;
        r.workload = "file";
    }
    s.write_all("OK " + std::to_string(len) + "\n");
    if (req->direction == Direction::down) {
        const auto digest = send_payload(s, len, send_cfg, "serving");
        r.bytes_sent = len;
        if (digest)
            verify_as_sender(s, *digest);
    } else {
        const auto digest = receive_payload(s, len, req->verify, cfg.progress, cfg.key_update_every, "receiving");
        r.bytes_received = len;
        if (digest)
            verify_as_receiver(s, *digest);
    }
    r.verify = req->verify ? "ok" : "off";
    r.duration_ms = ms_since(start);
    return r;
}

} // namespace mptls::tool
