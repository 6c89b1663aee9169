// SPDX-License-Identifier: MIT
// The sha-256 part of the RFC 9530 digest fields, which HTTP --check-data uses:
// the client asks with Want-Repr-Digest, the server answers with Repr-Digest.
// Both fields are RFC 8941 dictionaries. Pure functions, tested directly.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "payload.hpp"

namespace mptls::tool {

// What the client sends as Want-Repr-Digest: sha-256 at the highest weight.
inline constexpr std::string_view kWantSha256 = "sha-256=10";

// Standard base64 with padding (RFC 4648 section 4).
std::string base64(std::span<const unsigned char> bytes);

// The Repr-Digest field value for one body: "sha-256=:<base64>:".
std::string repr_digest_sha256(const Digest& d);

// The sha-256 member of a Repr-Digest field value. nullopt when the field
// is not a dictionary, has no sha-256 member, or that member is not a byte
// sequence of 32 bytes. A later sha-256 member overrides an earlier one.
std::optional<Digest> parse_repr_digest_sha256(std::string_view field);

// True if a Want-Repr-Digest field value asks for sha-256 with a weight
// above 0 (a weight of 0 means "not acceptable").
bool wants_sha256(std::string_view field);

// --check-data for one response: throws Error naming the path when the server
// declared no usable sha-256 (field is nullopt when the header was absent)
// or when it differs from got, the SHA-256 of the body as received.
void check_repr_digest(const std::string& path, const std::optional<std::string>& field,
                       const Digest& got);

} // namespace mptls::tool
