// SPDX-License-Identifier: MIT
#include "payload.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mptls/error.hpp"

namespace mptls::tool {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw Error::from_openssl("cannot start SHA-256");
}

void Sha256::update(std::span<const char> data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
        throw Error::from_openssl("SHA-256 update failed");
}

Digest Sha256::finish() {
    Digest d{};
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), d.data(), &len) != 1 || len != d.size())
        throw Error::from_openssl("SHA-256 final failed");
    return d;
}

std::vector<char> make_pattern(const std::string& marker, std::size_t size) {
    std::vector<char> out(size);
    if (!marker.empty()) {
        const std::string line = marker + "\n";
        for (std::size_t i = 0; i < size; ++i)
            out[i] = line[i % line.size()];
        return out;
    }
    // Non-repeating within the block, so a misplaced record shows up in --check-data.
    std::uint32_t x = 2463534242u;
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xff);
    }
    return out;
}

OpenFile open_regular_file(const std::string& path, const std::string& option) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error("cannot open " + path + ": " + std::strerror(errno) + "; check " + option, errno);
    OpenFile f{.fd = Fd(fd), .size = 0};
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(path + " is not a regular file; check " + option);
    f.size = static_cast<std::uint64_t>(st.st_size);
    return f;
}

Digest digest_of_file(int fd, std::uint64_t len) {
    Sha256 sha;
    std::vector<char> buf(256 * 1024);
    std::uint64_t off = 0;
    while (off < len) {
        const ssize_t n = ::pread(fd, buf.data(), std::min<std::uint64_t>(buf.size(), len - off),
                                  static_cast<off_t>(off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error("cannot read the file to hash it (was it truncated?)");
        sha.update({buf.data(), static_cast<std::size_t>(n)});
        off += static_cast<std::uint64_t>(n);
    }
    return sha.finish();
}

} // namespace mptls::tool
