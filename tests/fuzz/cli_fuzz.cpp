// SPDX-License-Identifier: MIT
// libFuzzer target for the mptls tool's command line (userspace/tool/cli.cpp).
// The first byte picks the parser: even, parse_byte_count on the rest; odd,
// parse_command_line on the rest cut at NUL bytes into arguments.
// Invariants, on any input:
//   - user input only ever gives a UsageError, never another exception;
//   - a byte count that parsed equals digits * unit computed independently
//     in 128 bits, so nothing wrapped around; and one that did not parse is
//     either not of the form <digits>[kKmMgG] or past 2^64 - 1.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fuzz_check.hpp"

using namespace mptls::tool;

namespace {


// The reference: nullopt-like {false} for a malformed count, else the value
// in 128 bits, saturated at 2^80 so that times 2^30 it cannot wrap either.
struct Ref {
    bool well_formed = false;
    unsigned __int128 value = 0;
};

Ref reference(const std::string& text) {
    Ref r;
    std::string digits = text;
    unsigned __int128 unit = 1;
    if (!digits.empty()) {
        const char c = digits.back();
        if (c == 'k' || c == 'K') unit = 1u << 10;
        else if (c == 'm' || c == 'M') unit = 1u << 20;
        else if (c == 'g' || c == 'G') unit = 1u << 30;
        if (unit != 1)
            digits.pop_back();
    }
    if (digits.empty())
        return r;
    const unsigned __int128 cap = static_cast<unsigned __int128>(1) << 80;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return r;
        r.value = r.value * 10 + static_cast<unsigned>(c - '0');
        if (r.value > cap)
            r.value = cap;
    }
    r.well_formed = true;
    r.value *= unit;
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if ((data[0] & 1) == 0) {
        const Ref want = reference(rest);
        try {
            const std::uint64_t got = parse_byte_count(rest, "--bytes");
            check(want.well_formed && want.value == got);
        } catch (const UsageError&) {
            check(!want.well_formed || want.value > UINT64_MAX);
        }
        return 0;
    }
    std::vector<std::string> args;
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= rest.size(); ++i) {
        if (i == rest.size() || rest[i] == '\0') {
            args.push_back(rest.substr(begin, i - begin));
            begin = i + 1;
        }
    }
    try {
        (void)parse_command_line(args);
    } catch (const UsageError&) {
    }
    return 0;
}
