// SPDX-License-Identifier: MIT
#include "http.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "cli.hpp"

#include "http_digest.hpp"
#include "http_response.hpp"
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

std::string lower(std::string_view v) {
    std::string s(v);
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

HttpHead read_headers(SecureStream& s) {
    std::vector<std::string> lines;
    for (int i = 0; i < kMaxHeaders; ++i) {
        auto line = s.read_line(kMaxLine);
        if (!line)
            throw Error("peer closed the connection inside HTTP headers");
        if (line->empty())
            return parse_header_fields(lines);
        lines.push_back(std::move(*line));
    }
    throw Error("peer sent more than " + std::to_string(kMaxHeaders) + " HTTP headers");
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view v) {
    while (!v.empty() && is_ows(v.front()))
        v.remove_prefix(1);
    while (!v.empty() && is_ows(v.back()))
        v.remove_suffix(1);
    return v;
}

// For messages: at most 40 characters of what the peer sent.
std::string quote(std::string_view v) {
    return "\"" + std::string(v.substr(0, 40)) + (v.size() > 40 ? "...\"" : "\"");
}

void append_field(std::optional<std::string>& field, std::string_view value) {
    field = field ? *field + ", " + std::string(value) : std::string(value);
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
constexpr Status kBadRequest{400, "Bad Request"};
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

// Reads one response to `path` (after any interim 1xx ones), handing the
// body to sha as it arrives. The framing is the response's own (RFC 9112
// section 6.3); a body that runs to the end of the connection ends at the
// server's close_notify, and an end without one is a truncation error
// (SecureStream::read_some throws it).
std::unique_ptr<HttpResponseParser> read_response(SecureStream& s, std::span<char> buf,
                                                  std::optional<Sha256>& sha, const std::string& path) {
    auto parser = std::make_unique<HttpResponseParser>();
    const auto to_hash = [&](std::span<const char> piece) {
        if (sha)
            sha->update(piece);
    };
    try {
        for (;;) {
            const std::size_t n = s.read_some(buf);
            if (n == 0) {
                parser->end_of_stream();
                return parser;
            }
            for (std::span<const char> data(buf.data(), n); !data.empty();) {
                data = data.subspan(parser->feed(data, to_hash));
                if (!parser->complete())
                    break;
                if (parser->status() / 100 != 1) {
                    if (!data.empty())
                        throw HttpHeadError("the server sent more after its response than was asked for");
                    return parser;
                }
                parser = std::make_unique<HttpResponseParser>(); // an interim 1xx; the answer follows
            }
        }
    } catch (const Error& e) {
        throw Error("response to GET " + path + ": " + e.what(), e.sys_errno());
    }
}

} // namespace

std::uint64_t parse_content_length(std::string_view value) {
    // RFC 9110 section 8.6: Content-Length = 1*DIGIT. A list of identical
    // values ("42, 42", from repeated field lines) may stand for one value;
    // different ones make the message invalid.
    std::optional<std::uint64_t> length;
    for (std::size_t begin = 0; begin <= value.size();) {
        const std::size_t comma = std::min(value.find(',', begin), value.size());
        const std::string_view member = trim_ows(value.substr(begin, comma - begin));
        const DecimalParse n = parse_decimal(member);
        if (n.status == DecimalParse::too_large)
            throw HttpHeadError("peer sent Content-Length " + quote(member) + ", past the largest "
                                "length this tool handles (" + std::to_string(kMaxU64) + ")");
        if (n.status != DecimalParse::ok)
            throw HttpHeadError("peer sent Content-Length " + quote(value) +
                                ", which is not a decimal number of bytes (RFC 9110 section 8.6)");
        if (length && *length != n.value)
            throw HttpHeadError("peer sent conflicting Content-Length values (" + std::to_string(*length) +
                                " and " + std::to_string(n.value) + ")");
        length = n.value;
        begin = comma + 1;
    }
    return *length; // the loop runs at least once, and sets it or throws
}

HttpHead parse_header_fields(std::span<const std::string> lines) {
    HttpHead h;
    for (const std::string& line : lines) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue; // not a field line; ignored as before
        const std::string_view raw_name = std::string_view(line).substr(0, colon);
        if (raw_name.empty() || raw_name.find_first_of(" \t") != std::string_view::npos)
            // RFC 9112 section 5.1: whitespace before the colon must be rejected,
            // or "Content-Length : 5" would slip past us unread.
            throw HttpHeadError("peer sent a malformed HTTP header field name " + quote(raw_name));
        const std::string name = lower(raw_name);
        const std::string_view value = trim_ows(std::string_view(line).substr(colon + 1));
        if (name == "content-length") {
            const std::uint64_t n = parse_content_length(value);
            if (h.content_length && *h.content_length != n)
                throw HttpHeadError("peer sent conflicting Content-Length values (" +
                                    std::to_string(*h.content_length) + " and " + std::to_string(n) + ")");
            h.content_length = n;
        } else if (name == "connection" && lower(value) == "close") {
            h.connection_close = true;
        } else if (name == "repr-digest") {
            append_field(h.repr_digest, value);
        } else if (name == "want-repr-digest") {
            append_field(h.want_repr_digest, value);
        }
    }
    return h;
}

RequestLine parse_request_line(std::string_view line) {
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    RequestLine r;
    r.method = std::string(line.substr(0, sp1));
    if (sp2 != std::string_view::npos)
        r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    return r;
}

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
        const auto [method, target] = parse_request_line(line);
        HttpHead h;
        try {
            h = read_headers(s);
        } catch (const HttpHeadError&) {
            // Tell the client why, then end the connection (the caller logs it).
            send_small(s, kBadRequest, true, "bad request\n", false, cfg.marker);
            throw;
        }
        const bool close = h.connection_close;
        // Hash only when asked: the lab times this server without --check-data.
        const bool with_digest = h.want_repr_digest && wants_sha256(*h.want_repr_digest);
        HttpExchange x{.path = target, .status = 0, .bytes = 0, .sha256 = {}, .ms = {}, .framing = {}};

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
        std::optional<Sha256> sha;
        if (hash_bodies)
            sha.emplace();
        const auto response = read_response(s, buf, sha, paths[i]);
        HttpExchange x{.path = paths[i], .status = response->status(), .bytes = response->body_bytes(),
                       .sha256 = {}, .ms = ms_since(sent_at), .framing = framing_name(response->framing())};
        if (sha) {
            const Digest got = sha->finish();
            x.sha256 = to_hex(got);
            check_repr_digest(paths[i], response->head().repr_digest, got);
        }
        const bool keep_alive = response->keep_alive();
        const bool ran_to_close = response->framing() == BodyFraming::until_close;
        r.bytes_received += x.bytes;
        r.bytes_sent += req.size();
        r.requests.push_back(std::move(x));
        if (!keep_alive && !last)
            throw Error("server closed the keep-alive connection after " + paths[i] + " (its response " +
                        (ran_to_close ? "ran to the end of the connection)" : "said Connection: close)"));
    }
    r.verify = hash_bodies ? "ok" : "off"; // a mismatch has thrown above
    r.duration_ms = ms_since(start);
    return r;
}

} // namespace mptls::tool
