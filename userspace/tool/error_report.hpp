// SPDX-License-Identifier: MIT
// How a failure reaches the user: always one "mptls: <sentence>" line on
// stderr; with --json also one {"error":{...}} object on stdout, because a
// script reading the JSON lines there would otherwise see nothing at all.
#pragma once

#include <string>

namespace mptls::tool {

struct Failure {
    enum Kind { usage, runtime, connection };
    std::string message;
    std::string command; // "client", ...; empty when the command line named none
    Kind kind = runtime;  // connection: one of a server's, which goes on
    int sys_errno = 0;    // 0: no errno behind it
    std::string peer;     // kind connection: whose connection failed
};

// The exception in flight as a Failure (call inside a catch block): its
// sentence and errno, by way of current_exception_as_error().
Failure current_failure(Failure::Kind kind, std::string command);

// {"error":{"message":...,"command":...|null,"kind":...[,"errno":N][,"peer":...]}}
std::string failure_json(const Failure& f);

// The stderr line, and with json the object on stdout.
void report_failure(const Failure& f, bool json);

} // namespace mptls::tool
