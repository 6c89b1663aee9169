// SPDX-License-Identifier: MIT
// What every C++ fuzz target asserts with: a broken invariant aborts, which
// libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdlib>

inline void check(bool ok) {
    if (!ok)
        std::abort();
}
