// SPDX-License-Identifier: MIT
// Bytes to send and their SHA-256: a generated pattern (optionally a
// plaintext marker the lab can search captures for) or a file.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mptls/hex.hpp"
#include "mptls/ossl.hpp"
#include "mptls/socket.hpp"

namespace mptls::tool {

using Digest = std::array<unsigned char, 32>;

class Sha256 {
public:
    Sha256();
    void update(std::span<const char> data);
    Digest finish();

private:
    ossl::UniquePtr<EVP_MD_CTX> ctx_;
};

// A reusable block of payload: marker text repeated, or a fixed pattern.
std::vector<char> make_pattern(const std::string& marker, std::size_t size);

struct OpenFile {
    Fd fd;
    std::uint64_t size = 0;
};
// Opens a regular file for reading; the error names the file and the option.
OpenFile open_regular_file(const std::string& path, const std::string& option);
// SHA-256 of the first len bytes of fd.
Digest digest_of_file(int fd, std::uint64_t len);

} // namespace mptls::tool
