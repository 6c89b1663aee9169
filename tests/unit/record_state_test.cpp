// SPDX-License-Identifier: MIT
// The keys and record numbers we would hand to the kernel, checked against
// real OpenSSL traffic: after a loopback handshake (record layer still in
// OpenSSL), each side decrypts the peer's raw records the way net/tls does,
// using only the fields of the crypto_info we built. A wrong key, IV split
// or starting sequence number makes authentication fail here, on the host,
// without kernel TLS.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>
#include <sys/socket.h>
#include <linux/tls.h>

#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"

namespace mptls {
namespace {

struct Record {
    unsigned char type = 0; // inner content type for TLS 1.3
    std::string plaintext;
};

void recv_exact(int fd, unsigned char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t r = ::recv(fd, p, n, 0);
        if (r <= 0)
            throw std::runtime_error("raw recv failed");
        p += r;
        n -= static_cast<std::size_t>(r);
    }
}

const EVP_CIPHER* evp_cipher(std::uint16_t kernel_type) {
    switch (kernel_type) {
    case TLS_CIPHER_AES_GCM_128: return EVP_aes_128_gcm();
    case TLS_CIPHER_AES_GCM_256: return EVP_aes_256_gcm();
    case TLS_CIPHER_AES_CCM_128: return EVP_aes_128_ccm();
    case TLS_CIPHER_CHACHA20_POLY1305: return EVP_chacha20_poly1305();
    }
    return nullptr;
}

// Decrypts records from fd as kernel TLS RX configured with `info` would.
class KernelStyleReader {
public:
    KernelStyleReader(int fd, const KernelCryptoInfo& info) : fd_(fd), info_(info) {
        for (unsigned char b : info.rec_seq())
            seq_ = seq_ << 8 | b;
    }

    Record next() {
        unsigned char hdr[5];
        recv_exact(fd_, hdr, sizeof hdr);
        const std::size_t len = std::size_t{hdr[3]} << 8 | hdr[4];
        std::vector<unsigned char> body(len);
        recv_exact(fd_, body.data(), len);

        const bool tls13 = info_.header().version == TLS_1_3_VERSION;
        const std::uint16_t type = info_.header().cipher_type;
        const bool explicit_nonce = !tls13 && type != TLS_CIPHER_CHACHA20_POLY1305;
        constexpr std::size_t tag_len = 16;

        // Nonce: salt || iv, where TLS 1.2 GCM/CCM takes the iv part from
        // the record and everything else XORs in the sequence number.
        std::vector<unsigned char> nonce(info_.salt().begin(), info_.salt().end());
        if (explicit_nonce) {
            nonce.insert(nonce.end(), body.begin(), body.begin() + 8);
        } else {
            nonce.insert(nonce.end(), info_.iv().begin(), info_.iv().end());
            for (int i = 0; i < 8; ++i)
                nonce[nonce.size() - 1 - static_cast<std::size_t>(i)] ^=
                    static_cast<unsigned char>(seq_ >> (8 * i));
        }
        const std::size_t ct_off = explicit_nonce ? 8 : 0;
        const std::size_t ct_len = len - ct_off - tag_len;

        std::vector<unsigned char> aad;
        if (tls13) {
            aad.assign(hdr, hdr + 5);
        } else {
            for (int i = 7; i >= 0; --i)
                aad.push_back(static_cast<unsigned char>(seq_ >> (8 * i)));
            aad.insert(aad.end(), {hdr[0], hdr[1], hdr[2], static_cast<unsigned char>(ct_len >> 8),
                                   static_cast<unsigned char>(ct_len & 0xff)});
        }

        ossl::UniquePtr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
        const bool ccm = type == TLS_CIPHER_AES_CCM_128;
        unsigned char* tag = body.data() + ct_off + ct_len;
        std::vector<unsigned char> out(ct_len + 16);
        int outl = 0;
        bool ok = EVP_DecryptInit_ex(ctx.get(), evp_cipher(type), nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1;
        if (ccm)
            ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, tag_len, tag) == 1;
        ok = ok && EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, info_.key().data(), nonce.data()) == 1;
        if (ccm)
            ok = ok && EVP_DecryptUpdate(ctx.get(), nullptr, &outl, nullptr, static_cast<int>(ct_len)) == 1;
        ok = ok && EVP_DecryptUpdate(ctx.get(), nullptr, &outl, aad.data(), static_cast<int>(aad.size())) == 1;
        ok = ok && EVP_DecryptUpdate(ctx.get(), out.data(), &outl, body.data() + ct_off, static_cast<int>(ct_len)) == 1;
        if (!ccm) {
            int fin = 0;
            ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, tag_len, tag) == 1 &&
                 EVP_DecryptFinal_ex(ctx.get(), out.data() + outl, &fin) == 1;
        }
        if (!ok)
            throw std::runtime_error("record " + std::to_string(seq_) + " failed authentication");
        ++seq_;

        out.resize(ct_len);
        Record rec{.type = hdr[0], .plaintext = {}};
        if (tls13) {
            while (!out.empty() && out.back() == 0)
                out.pop_back();
            rec.type = out.back();
            out.pop_back();
        }
        rec.plaintext.assign(out.begin(), out.end());
        return rec;
    }

    // Skips handshake records (tickets) and returns the first application
    // data with the sequence number it was decrypted under.
    std::pair<std::string, std::uint64_t> next_application_data() {
        for (int i = 0; i < 10; ++i) {
            const std::uint64_t seq = seq_;
            Record r = next();
            if (r.type == 23)
                return {r.plaintext, seq};
        }
        throw std::runtime_error("no application data record");
    }

private:
    int fd_;
    const KernelCryptoInfo& info_;
    std::uint64_t seq_ = 0;
};

struct Case {
    const char* cipher;
    VersionChoice version;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.cipher << (c.version == VersionChoice::tls13 ? "/TLS1.3" : "/TLS1.2");
}

class KernelKeysMatchOpenSsl : public ::testing::TestWithParam<Case> {
protected:
    static void SetUpTestSuite() {
        dir_ = std::filesystem::temp_directory_path() / ("mptls-unit-" + std::to_string(::getpid()));
        pki_ = generate_test_pki(dir_, {});
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

    TlsSettings settings(Role role) const {
        return TlsSettings{.role = role, .version = GetParam().version,
                           .cipher = find_cipher_by_name(GetParam().cipher), .offload = Offload::user,
                           .cert_file = pki_.server_cert, .key_file = pki_.server_key,
                           .ca_file = pki_.ca_cert, .verify_peer = true, .keylog_file = {},
                           // Tickets on, so the server's TX count starts past them.
                           .session_tickets = true};
    }

    static inline std::filesystem::path dir_;
    static inline TestPki pki_;
};

TEST_P(KernelKeysMatchOpenSsl, PeerDecryptsWithOurCryptoInfo) {
    TlsContext server_ctx(settings(Role::server));
    TlsContext client_ctx(settings(Role::client));
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);
    const HostPort where = parse_host_port(listener.bound);

    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), server_ctx, "");
        auto [tx, rx] = s.kernel_crypto_info();
        s.write_all(std::string_view("hello from the server"));
        KernelStyleReader reader(s.fd(), rx);
        return std::tuple{reader.next_application_data(), s.version(), std::move(tx)};
    });

    SecureStream c = SecureStream::establish(connect_to(where, Transport::tcp), client_ctx, "localhost");
    auto [tx, rx] = c.kernel_crypto_info();
    KernelStyleReader reader(c.fd(), rx);
    const auto [client_got, client_got_seq] = reader.next_application_data();
    EXPECT_EQ(client_got, "hello from the server");
    c.write_all(std::string_view("hello from the client"));

    auto [server_read, version, server_tx] = server.get();
    const auto& [server_got, server_got_seq] = server_read;
    EXPECT_EQ(server_got, "hello from the client");

    // The first application record each side wrote after the switch point
    // carries exactly the sequence number we would give the kernel for TX.
    EXPECT_EQ(client_got_seq, server_tx.rec_seq()[7]);
    EXPECT_EQ(server_got_seq, tx.rec_seq()[7]);

    // Both ends agree on the keys of the server-to-client direction.
    EXPECT_TRUE(std::equal(server_tx.key().begin(), server_tx.key().end(), rx.key().begin(), rx.key().end()));
    EXPECT_TRUE(std::equal(server_tx.salt().begin(), server_tx.salt().end(), rx.salt().begin(), rx.salt().end()));
    // TLS 1.2 starts after Finished (record 0); TLS 1.3 at 0, except that the
    // server already sent its session tickets.
    const unsigned char client_tx_seq = tx.rec_seq()[7];
    const unsigned char client_rx_seq = rx.rec_seq()[7];
    if (version == TlsVersion::tls12) {
        EXPECT_EQ(client_tx_seq, 1);
        EXPECT_EQ(client_rx_seq, 1);
        EXPECT_EQ(server_tx.rec_seq()[7], 1);
    } else {
        EXPECT_EQ(client_tx_seq, 0);
        EXPECT_EQ(client_rx_seq, 0);
        EXPECT_GE(server_tx.rec_seq()[7], 1); // OpenSSL sends 2 tickets when asked to
    }
}

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
    return std::string(i.param.cipher) + (i.param.version == VersionChoice::tls13 ? "_tls13" : "_tls12");
}

INSTANTIATE_TEST_SUITE_P(
    AllCiphersBothVersions, KernelKeysMatchOpenSsl,
    ::testing::Values(Case{"aes128gcm", VersionChoice::tls12}, Case{"aes128gcm", VersionChoice::tls13},
                      Case{"aes256gcm", VersionChoice::tls12}, Case{"aes256gcm", VersionChoice::tls13},
                      Case{"chacha20", VersionChoice::tls12}, Case{"chacha20", VersionChoice::tls13},
                      Case{"aes128ccm", VersionChoice::tls12}, Case{"aes128ccm", VersionChoice::tls13}),
    case_name);

} // namespace
} // namespace mptls
