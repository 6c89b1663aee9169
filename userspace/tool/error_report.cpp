// SPDX-License-Identifier: MIT
#include "error_report.hpp"

#include <cstdio>

#include "commands.hpp"
#include "json.hpp"
#include "mptls/error.hpp"

namespace mptls::tool {
namespace {

const char* kind_name(Failure::Kind k) {
    switch (k) {
    case Failure::usage: return "usage";
    case Failure::runtime: return "runtime";
    case Failure::connection: return "connection";
    }
    return "runtime";
}

} // namespace

Failure current_failure(Failure::Kind kind, std::string command) {
    const Error e = current_exception_as_error();
    Failure f;
    f.message = e.what();
    f.command = std::move(command);
    f.kind = kind;
    f.sys_errno = e.sys_errno();
    return f;
}

std::string failure_json(const Failure& f) {
    JsonWriter w;
    w.begin_object().key("error").begin_object();
    w.key("message").value(f.message);
    w.key("command");
    if (f.command.empty())
        w.null();
    else
        w.value(f.command);
    w.key("kind").value(kind_name(f.kind));
    if (f.sys_errno != 0)
        w.key("errno").value(static_cast<std::uint64_t>(f.sys_errno));
    if (!f.peer.empty())
        w.key("peer").value(f.peer);
    w.end_object().end_object();
    return w.str();
}

void report_failure(const Failure& f, bool json) {
    const std::string where = f.peer.empty() ? "" : one_line(f.peer) + ": ";
    std::fprintf(stderr, "mptls: %s%s\n", where.c_str(), one_line(f.message).c_str());
    std::fflush(stderr);
    if (json) {
        std::printf("%s\n", failure_json(f).c_str());
        std::fflush(stdout);
    }
}

} // namespace mptls::tool
