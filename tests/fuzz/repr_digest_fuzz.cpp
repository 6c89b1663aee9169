// SPDX-License-Identifier: MIT
// libFuzzer target for the RFC 9530 / RFC 8941 dictionary parsers of the
// mptls tool (userspace/tool/http_digest.cpp): the input is a Repr-Digest or
// Want-Repr-Digest field value as a peer sends it. Invariants:
//   - no exception from the parsers; check_repr_digest throws only Error;
//   - a sha-256 digest found prints and parses back to itself, and
//     check_repr_digest accepts it against itself;
//   - appending ", sha-256=:<that digest>:" to a field that parsed gives the
//     same digest (RFC 8941: a later member overrides an earlier one).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_digest.hpp"
#include "fuzz_check.hpp"
#include "mptls/error.hpp"

using namespace mptls::tool;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string field(reinterpret_cast<const char*>(data), size);
    const auto digest = parse_repr_digest_sha256(field);
    (void)wants_sha256(field);
    if (digest) {
        const std::string printed = repr_digest_sha256(*digest);
        check(parse_repr_digest_sha256(printed) == digest);
        check(wants_sha256(printed) == false); // a byte sequence is not a weight
        check_repr_digest("/fuzz", field, *digest); // must not throw
        // The same digest as a later member wins over whatever came before.
        check(parse_repr_digest_sha256(field + ", " + printed) == digest);
    }
    try {
        check_repr_digest("/fuzz", field, mptls::tool::Digest{});
    } catch (const mptls::Error&) {
    }
    return 0;
}
