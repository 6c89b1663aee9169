// SPDX-License-Identifier: MIT
#include "http.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

#include "http_digest.hpp"
#include "mptls/error.hpp"
#include "payload.hpp"

namespace mptls::tool {
namespace {

constexpr std::size_t kMaxLine = 8192;
constexpr int kMaxHeaders = 100;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

struct Headers {
    std::optional<std::uint64_t> content_length;
    bool connection_close = false;
    // Field values as sent; repeated lines are joined with ", " (RFC 9110 5.3).
    std::optional<std::string> repr_digest;
    std::optional<std::string> want_repr_digest;
};

void append_field(std::optional<std::string>& field, const std::string& value) {
    field = field ? *field + ", " + value : value;
}

Headers read_headers(SecureStream& s) {
    Headers h;
    for (int i = 0; i < kMaxHeaders; ++i) {
        const auto line = s.read_line(kMaxLine);
        if (!line)
            throw Error("peer closed the connection inside HTTP headers");
        if (line->empty())
            return h;
        const auto colon = line->find(':');
        if (colon == std::string::npos)
            continue;
        const std::string name = lower(line->substr(0, colon));
        std::string value = line->substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t") + 1);
        if (name == "content-length")
            h.content_length = std::stoull(value);
        else if (name == "connection" && lower(value) == "close")
            h.connection_close = true;
        else if (name == "repr-digest")
            append_field(h.repr_digest, value);
        else if (name == "want-repr-digest")
            append_field(h.want_repr_digest, value);
    }
    throw Error("peer sent more than " + std::to_string(kMaxHeaders) + " HTTP headers");
}

// Maps a request path to a regular file below root, or nullopt. Rejects
// ".." and anything whose real path leaves root (symlinks included).
std::optional<std::filesystem::path> resolve(const std::filesystem::path& root, std::string path) {
    path = path.substr(0, path.find('?'));
    if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos)
        return std::nullopt;
    for (std::size_t pos = 0; (pos = path.find("..", pos)) != std::string::npos; pos += 2) {
        const bool starts = pos == 0 || path[pos - 1] == '/';
        const bool ends = pos + 2 == path.size() || path[pos + 2] == '/';
        if (starts && ends)
            return std::nullopt;
    }
    std::filesystem::path p = root / path.substr(1);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec))
        p /= "index.html";
    const auto real = std::filesystem::canonical(p, ec);
    if (ec)
        return std::nullopt;
    const auto rel = real.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..")
        return std::nullopt;
    if (!std::filesystem::is_regular_file(real, ec))
        return std::nullopt;
    return real;
}

struct Status {
    int code;
    const char* reason;
};
constexpr Status kOk{200, "OK"};
constexpr Status kNotFound{404, "Not Found"};
constexpr Status kMethodNotAllowed{405, "Method Not Allowed"};

struct ResponseHead {
    Status status;
    std::uint64_t length;
    bool close;
    std::string repr_digest; // field value; empty when the client did not ask
};

void send_head(SecureStream& s, const ResponseHead& r, const std::string& marker) {
    std::string head = "HTTP/1.1 " + std::to_string(r.status.code) + " " + r.status.reason + "\r\n" +
                       "Server: mptls\r\nContent-Type: application/octet-stream\r\n" +
                       "Content-Length: " + std::to_string(r.length) + "\r\n";
    if (!r.repr_digest.empty())
        head += "Repr-Digest: " + r.repr_digest + "\r\n";
    if (!marker.empty())
        head += "X-Mptls-Marker: " + marker + "\r\n";
    if (r.close)
        head += "Connection: close\r\n";
    head += "\r\n";
    s.write_all(head);
}

// A short fixed body (an error page); returns its size.
std::uint64_t send_small(SecureStream& s, Status status, bool close, const std::string& body,
                         bool with_digest, const std::string& marker) {
    std::string digest;
    if (with_digest) {
        Sha256 sha;
        sha.update(body);
        digest = repr_digest_sha256(sha.finish());
    }
    send_head(s, {status, body.size(), close, digest}, marker);
    s.write_all(body);
    return body.size();
}

} // namespace

bool is_http_request(const std::string& first_line) {
    return first_line.starts_with("GET ") || first_line.starts_with("HEAD ") ||
           first_line.starts_with("POST ") || first_line.starts_with("PUT ");
}

TransferResult serve_http(SecureStream& s, std::string line, const HttpServerSettings& cfg) {
    const auto start = Clock::now();
    TransferResult r;
    r.workload = "http";
    std::error_code ec;
    const std::filesystem::path root =
        cfg.root.empty() ? std::filesystem::path() : std::filesystem::canonical(cfg.root, ec);
    for (;;) {
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 + 1);
        const Headers h = read_headers(s);
        const std::string method = line.substr(0, sp1);
        const std::string target = sp2 == std::string::npos ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
        const bool close = h.connection_close;
        // Hash only when asked: the lab times this server without --verify.
        const bool with_digest = h.want_repr_digest && wants_sha256(*h.want_repr_digest);
        HttpExchange x{.path = target, .status = 0, .bytes = 0, .sha256 = {}, .ms = {}};

        if (method != "GET") {
            x.status = kMethodNotAllowed.code;
            r.bytes_sent += send_small(s, kMethodNotAllowed, true, "only GET is supported\n",
                                       with_digest, cfg.marker);
            r.requests.push_back(x);
            break;
        }
        const auto file_path = root.empty() ? std::nullopt : resolve(root, target);
        if (!file_path) {
            x.status = kNotFound.code;
            r.bytes_sent += send_small(s, kNotFound, close, "not found\n", with_digest, cfg.marker);
        } else {
            const OpenFile f = open_regular_file(file_path->string(), "--http-root");
            const std::string digest =
                with_digest ? repr_digest_sha256(digest_of_file(f.fd.get(), f.size)) : "";
            send_head(s, {kOk, f.size, close, digest}, cfg.marker);
            s.send_file(f.fd.get(), 0, f.size);
            x.status = kOk.code;
            x.bytes = f.size;
            r.bytes_sent += f.size;
        }
        r.requests.push_back(x);
        if (close)
            break;
        const auto next = s.read_line(kMaxLine);
        if (!next)
            break; // close_notify: the client is done
        line = *next;
        if (line.empty())
            throw Error("client sent an empty HTTP request line");
    }
    r.duration_ms = ms_since(start);
    return r;
}

TransferResult run_http_client(SecureStream& s, const std::string& host,
                               const std::vector<std::string>& paths, bool hash_bodies) {
    const auto start = Clock::now();
    TransferResult r;
    r.workload = "http";
    std::vector<char> buf(256 * 1024);
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const bool last = i + 1 == paths.size();
        std::string req = "GET " + paths[i] + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: mptls\r\n";
        if (hash_bodies)
            req += "Want-Repr-Digest: " + std::string(kWantSha256) + "\r\n";
        if (last)
            req += "Connection: close\r\n";
        req += "\r\n";
        const auto sent_at = Clock::now();
        s.write_all(req);
        const auto status_line = s.read_line(kMaxLine);
        if (!status_line)
            throw Error("server closed the connection before answering GET " + paths[i]);
        int status = 0;
        if (std::sscanf(status_line->c_str(), "HTTP/1.%*d %d", &status) != 1)
            throw Error("server sent \"" + *status_line + "\" instead of an HTTP/1.1 status line");
        const Headers h = read_headers(s);
        if (!h.content_length)
            throw Error("server response to GET " + paths[i] + " has no Content-Length, "
                        "which this client needs");
        std::optional<Sha256> sha;
        if (hash_bodies)
            sha.emplace();
        for (std::uint64_t left = *h.content_length; left > 0;) {
            const std::size_t n = s.read_some({buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()))});
            if (n == 0)
                throw Error("server ended the connection in the middle of " + paths[i]);
            if (sha)
                sha->update({buf.data(), n});
            left -= n;
        }
        HttpExchange x{.path = paths[i], .status = status, .bytes = *h.content_length, .sha256 = {},
                       .ms = ms_since(sent_at)};
        if (sha) {
            const Digest got = sha->finish();
            x.sha256 = to_hex(got);
            check_repr_digest(paths[i], h.repr_digest, got);
        }
        r.bytes_received += x.bytes;
        r.bytes_sent += req.size();
        r.requests.push_back(std::move(x));
        if (h.connection_close && !last)
            throw Error("server closed the keep-alive connection after " + paths[i]);
    }
    r.verify = hash_bodies ? "ok" : "off"; // a mismatch has thrown above
    r.duration_ms = ms_since(start);
    return r;
}

} // namespace mptls::tool
