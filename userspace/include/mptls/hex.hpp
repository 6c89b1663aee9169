// SPDX-License-Identifier: MIT
// Lower-case hex for digests and diagnostics.
#pragma once

#include <span>
#include <string>

namespace mptls {

inline std::string to_hex(std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

} // namespace mptls
