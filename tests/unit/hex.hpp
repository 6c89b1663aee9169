// SPDX-License-Identifier: MIT
// Test helper: hex strings (spaces allowed, as the RFCs print them) to bytes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mptls/hex.hpp"

namespace mptls::test {

inline std::vector<unsigned char> from_hex(std::string_view text) {
    std::vector<unsigned char> out;
    int hi = -1;
    for (char ch : text) {
        int v;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else continue;
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<unsigned char>(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

using mptls::to_hex;

} // namespace mptls::test
