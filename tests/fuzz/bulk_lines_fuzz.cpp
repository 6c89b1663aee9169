// SPDX-License-Identifier: MIT
// libFuzzer target for the bulk workload's line parsers (userspace/tool/
// bulk.cpp): the request line a client sends the server and the "OK <n>"
// reply. The first byte picks which. Invariants: no exception; whatever
// parsed prints (in the form the tool writes) and parses back to itself,
// and no negative or oversized number wraps around into a length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bulk.hpp"
#include "fuzz_check.hpp"

using namespace mptls::tool;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string line(reinterpret_cast<const char*>(data) + 1, size - 1);
    if ((data[0] & 1) == 0) {
        const auto r = parse_bulk_request(line);
        if (!r)
            return 0;
        // The byte count is the third field, and it is all digits: no sign.
        const std::size_t a = line.find(' '), b = line.find(' ', a + 1), c = line.find(' ', b + 1);
        check(c != std::string::npos && c > b + 1);
        check(line.substr(b + 1, c - b - 1).find_first_not_of("0123456789") == std::string::npos);
        const std::string printed = std::string("MPTLS-BULK/1 ") + (r->direction == Direction::up ? "up " : "down ") +
                                    std::to_string(r->bytes) + (r->verify ? " verify" : " noverify");
        const auto again = parse_bulk_request(printed);
        check(again && again->direction == r->direction && again->bytes == r->bytes && again->verify == r->verify);
    } else {
        const auto n = parse_bulk_reply(line);
        if (!n)
            return 0;
        check(line.substr(3).find_first_not_of("0123456789") == std::string::npos);
        check(parse_bulk_reply("OK " + std::to_string(*n)) == n);
    }
    return 0;
}
