// SPDX-License-Identifier: MIT
// A throwaway CA and server certificate for labs and tests (ECDSA P-256).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mptls {

struct TestPki {
    std::filesystem::path ca_cert;     // ca.pem
    std::filesystem::path ca_key;      // ca.key
    std::filesystem::path server_cert; // server.pem
    std::filesystem::path server_key;  // server.key
};

// Names the server certificate always carries.
inline const std::vector<std::string> kDefaultServerNames = {"server", "localhost", "127.0.0.1", "::1"};

// Writes the four files into dir (created if missing). extra_names are added
// to the server's subjectAltName: IP literals as IP entries, others as DNS.
TestPki generate_test_pki(const std::filesystem::path& dir,
                          const std::vector<std::string>& extra_names);

} // namespace mptls
