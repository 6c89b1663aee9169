// SPDX-License-Identifier: MIT
// libFuzzer target for the client's HTTP response framing
// (userspace/tool/http_response.cpp on nodejs http-parser). The first byte
// sets where the input is cut between reads and whether the connection
// then ends cleanly; the rest is what a server sends. Invariants, on any
// input and any cut:
//   - the only exception is HttpHeadError (the client reports it);
//   - the body handed out is as long as body_bytes(), and the same
//     whatever the cut;
//   - feed() never claims more bytes than it was given, and once the
//     response is complete it takes nothing more;
//   - a complete response has a status from 100 to 999, and one framed by
//     Content-Length carries exactly that many bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http_response.hpp"

using namespace mptls::tool;

namespace {

struct Outcome {
    bool complete = false;
    std::string body;
};

std::optional<Outcome> run(std::string_view in, std::size_t step, bool eof) {
    HttpResponseParser p;
    Outcome o;
    try {
        for (std::size_t off = 0; off < in.size(); off += step) {
            const std::string_view piece = in.substr(off, step);
            const bool was_complete = p.complete();
            const std::size_t used =
                p.feed(piece, [&](std::span<const char> b) { o.body.append(b.data(), b.size()); });
            check(used <= piece.size());
            check(!was_complete || used == 0);
            if (p.complete())
                break;
        }
        if (eof)
            p.end_of_stream();
    } catch (const HttpHeadError&) {
        return std::nullopt;
    }
    check(o.body.size() == p.body_bytes());
    o.complete = p.complete();
    if (o.complete) {
        check(p.status() >= 100 && p.status() <= 999);
        if (p.framing() == BodyFraming::content_length)
            check(p.head().content_length && *p.head().content_length == p.body_bytes());
    }
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::size_t step = (data[0] & 0x7f) + 1;
    const bool eof = (data[0] & 0x80) != 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto cut = run(in, step, eof);
    const auto whole = run(in, in.size() + 1, eof);
    // A cut changes neither the outcome nor the body (errors may differ in
    // wording only where the cut falls; both must be errors then).
    check(cut.has_value() == whole.has_value());
    if (cut && whole) {
        check(cut->complete == whole->complete);
        check(cut->body == whole->body);
    }
    return 0;
}
