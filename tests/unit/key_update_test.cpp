// SPDX-License-Identifier: MIT
// TLS 1.3 KeyUpdate: the next-key schedule checked against what OpenSSL
// really sends after SSL_key_update() (RFC 8448 has no key update trace),
// the KeyUpdate message rules, and the library's user-mode update path.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <string>
#include <unistd.h>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "mptls/cipher_table.hpp"
#include "mptls/error.hpp"
#include "mptls/ktls_record_io.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/socket.hpp"
#include "mptls/test_pki.hpp"
#include "mptls/tls13_key_updater.hpp"
#include "hex.hpp"

namespace mptls {
namespace {

using test::from_hex;

// ---- the KeyUpdate message -------------------------------------------------

RecordAction classify_bytes(std::vector<unsigned char> rec) {
    return classify_record(22, {reinterpret_cast<const char*>(rec.data()), rec.size()});
}

TEST(KeyUpdateMessage, ValidOnesSayWhetherThePeerAsks) {
    EXPECT_EQ(classify_bytes({24, 0, 0, 1, 0}), RecordAction::key_update);
    EXPECT_EQ(classify_bytes({24, 0, 0, 1, 1}), RecordAction::key_update_requested);
    // After a NewSessionTicket in the same record: still at the record's end.
    EXPECT_EQ(classify_bytes({4, 0, 0, 2, 9, 9, 24, 0, 0, 1, 1}), RecordAction::key_update_requested);
    const KeyUpdateMessage m = key_update_message(true);
    EXPECT_EQ(std::vector<unsigned char>(std::begin(m.bytes), std::end(m.bytes)),
              (std::vector<unsigned char>{24, 0, 0, 1, 1}));
    EXPECT_EQ(key_update_message(false).bytes[4], 0);
}

TEST(KeyUpdateMessage, MalformedOnesEndTheConnectionWithASentence) {
    for (const auto& bad : std::vector<std::vector<unsigned char>>{
             {24, 0, 0, 1, 2},          // request_update neither 0 nor 1
             {24, 0, 0, 1, 255},
             {24, 0, 0, 0},             // empty
             {24, 0, 0, 2, 1, 0},       // two bytes
             {24, 0, 0, 1, 0, 4, 0, 0, 0}, // not the record's last message (RFC 8446 §5.1)
             {24, 0, 0, 1, 1, 24, 0, 0, 1, 1},
             {24, 0, 0, 1},             // cut short
         }) {
        try {
            classify_bytes(bad);
            ADD_FAILURE() << "accepted " << to_hex(bad);
        } catch (const Error& e) {
            const std::string what = e.what();
            EXPECT_TRUE(what.find("KeyUpdate") != std::string::npos ||
                        what.find("split across records") != std::string::npos)
                << what;
        }
    }
}

// ---- the key schedule --------------------------------------------------------

TEST(Tls13KeyUpdater, EachDirectionMovesOnItsOwnAtRecordZero) {
    const CipherSpec& aes = *find_cipher_by_name("aes128gcm");
    const Secret tx(32, 0x11), rx(32, 0x22);
    Tls13KeyUpdater u(EVP_sha256(), aes, tx, rx);
    const KernelCryptoInfo t1 = u.next_tx();
    const KernelCryptoInfo t2 = u.next_tx();
    const KernelCryptoInfo r1 = u.next_rx();
    EXPECT_EQ(u.tx_updates(), 2u);
    EXPECT_EQ(u.rx_updates(), 1u);
    for (const KernelCryptoInfo* i : {&t1, &t2, &r1}) {
        EXPECT_EQ(i->header().version, TLS_1_3_VERSION);
        EXPECT_EQ(i->header().cipher_type, aes.kernel_type);
        EXPECT_TRUE(std::all_of(i->rec_seq().begin(), i->rec_seq().end(), [](auto b) { return b == 0; }));
    }
    // Generation 2 is two steps of "traffic upd" from generation 0.
    const Secret g2 = Tls13KeyUpdater::next_secret(EVP_sha256(), Tls13KeyUpdater::next_secret(EVP_sha256(), tx));
    const TrafficKeys k2 = tls13_traffic_keys(EVP_sha256(), g2, aes);
    EXPECT_TRUE(std::ranges::equal(t2.key(), k2.key));
    // The receive side stepped once, from its own secret.
    const TrafficKeys r = tls13_traffic_keys(EVP_sha256(), Tls13KeyUpdater::next_secret(EVP_sha256(), rx), aes);
    EXPECT_TRUE(std::ranges::equal(r1.key(), r.key));
    EXPECT_THROW(Tls13KeyUpdater(EVP_sha384(), aes, tx, rx), Error); // 32 bytes, not 48
}

// OpenSSL over memory BIOs; every byte between the two is seen here, so
// records can be opened with our keys.
struct Peer {
    ossl::UniquePtr<SSL> ssl;
    BIO* in = nullptr;  // what the peer sent us (owned by ssl)
    BIO* out = nullptr; // what we send
};

struct Secrets {
    std::string client0, server0;
};
thread_local Secrets* keylog_target = nullptr;

void keylog(const SSL*, const char* line) {
    const std::string l = line;
    const auto last = l.rfind(' ');
    if (l.starts_with("CLIENT_TRAFFIC_SECRET_0 "))
        keylog_target->client0 = l.substr(last + 1);
    else if (l.starts_with("SERVER_TRAFFIC_SECRET_0 "))
        keylog_target->server0 = l.substr(last + 1);
}

class OpenSslPair : public ::testing::TestWithParam<const char*> {
protected:
    static void SetUpTestSuite() {
        dir_ = std::filesystem::temp_directory_path() / ("mptls-keyupd-" + std::to_string(::getpid()));
        pki_ = generate_test_pki(dir_, {});
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

    void SetUp() override {
        spec_ = find_cipher_by_name(GetParam());
        ASSERT_NE(spec_, nullptr);
        for (auto* c : {&cctx_, &sctx_}) {
            c->reset(SSL_CTX_new(TLS_method()));
            SSL_CTX_set_min_proto_version(c->get(), TLS1_3_VERSION);
            SSL_CTX_set_ciphersuites(c->get(), std::string(spec_->tls13_suite).c_str());
            SSL_CTX_set_num_tickets(c->get(), 0);
        }
        SSL_CTX_set_keylog_callback(cctx_.get(), keylog);
        ASSERT_EQ(SSL_CTX_use_certificate_chain_file(sctx_.get(), pki_.server_cert.c_str()), 1);
        ASSERT_EQ(SSL_CTX_use_PrivateKey_file(sctx_.get(), pki_.server_key.c_str(), SSL_FILETYPE_PEM), 1);
        for (auto [p, ctx] : {std::pair{&client_, &cctx_}, std::pair{&server_, &sctx_}}) {
            p->ssl.reset(SSL_new(ctx->get()));
            p->in = BIO_new(BIO_s_mem());
            p->out = BIO_new(BIO_s_mem());
            SSL_set_bio(p->ssl.get(), p->in, p->out);
        }
        SSL_set_connect_state(client_.ssl.get());
        SSL_set_accept_state(server_.ssl.get());
        keylog_target = &secrets_;
        for (int i = 0; i < 10 && !(SSL_is_init_finished(client_.ssl.get()) &&
                                    SSL_is_init_finished(server_.ssl.get())); ++i) {
            SSL_do_handshake(client_.ssl.get());
            move(client_, server_);
            SSL_do_handshake(server_.ssl.get());
            move(server_, client_);
        }
        keylog_target = nullptr;
        ASSERT_TRUE(SSL_is_init_finished(client_.ssl.get()));
        ASSERT_FALSE(secrets_.client0.empty());
        md_ = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(client_.ssl.get()));
    }

    // Moves what from sent to its peer and returns those bytes.
    static std::vector<unsigned char> move(Peer& from, Peer& to) {
        std::vector<unsigned char> bytes(BIO_ctrl_pending(from.out));
        if (!bytes.empty()) {
            BIO_read(from.out, bytes.data(), static_cast<int>(bytes.size()));
            BIO_write(to.in, bytes.data(), static_cast<int>(bytes.size()));
        }
        return bytes;
    }

    // The plaintext (content then inner type byte) of TLSCiphertext records
    // opened with the kernel's view of one key: salt || iv, XOR the sequence.
    std::vector<std::vector<unsigned char>> open_records(const std::vector<unsigned char>& wire,
                                                         std::vector<const KernelCryptoInfo*> keys) {
        std::vector<std::vector<unsigned char>> out;
        std::size_t off = 0;
        for (const KernelCryptoInfo* k : keys) {
            if (wire.size() - off < 5)
                break;
            const std::size_t len = (std::size_t{wire[off + 3]} << 8) | wire[off + 4];
            const unsigned char* hdr = wire.data() + off;
            const unsigned char* body = hdr + 5;
            std::vector<unsigned char> nonce(k->salt().begin(), k->salt().end());
            nonce.insert(nonce.end(), k->iv().begin(), k->iv().end());
            for (std::size_t i = 0; i < 8; ++i)
                nonce[nonce.size() - 8 + i] ^= k->rec_seq()[i];
            const EVP_CIPHER* c = spec_->name == "chacha20"    ? EVP_chacha20_poly1305()
                                  : spec_->name == "aes256gcm" ? EVP_aes_256_gcm()
                                  : spec_->name == "aes128ccm" ? EVP_aes_128_ccm()
                                                               : EVP_aes_128_gcm();
            ossl::UniquePtr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
            std::vector<unsigned char> pt(len - 16);
            int n = 0;
            const bool ccm = spec_->name == "aes128ccm";
            bool ok = EVP_DecryptInit_ex(ctx.get(), c, nullptr, nullptr, nullptr) == 1 &&
                      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
                      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16,
                                          ccm ? nullptr : const_cast<unsigned char*>(body + len - 16)) == 1;
            if (ccm)
                ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16,
                                               const_cast<unsigned char*>(body + len - 16)) == 1;
            ok = ok && EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, k->key().data(), nonce.data()) == 1;
            if (ccm)
                ok = ok && EVP_DecryptUpdate(ctx.get(), nullptr, &n, nullptr, static_cast<int>(len - 16)) == 1;
            ok = ok && EVP_DecryptUpdate(ctx.get(), nullptr, &n, hdr, 5) == 1 &&
                 EVP_DecryptUpdate(ctx.get(), pt.data(), &n, body, static_cast<int>(len - 16)) == 1;
            int fin = 0;
            if (ok && !ccm)
                ok = EVP_DecryptFinal_ex(ctx.get(), pt.data() + n, &fin) == 1;
            ERR_clear_error();
            out.push_back(ok ? pt : std::vector<unsigned char>{});
            off += 5 + len;
        }
        return out;
    }

    static inline std::filesystem::path dir_;
    static inline TestPki pki_;
    const CipherSpec* spec_ = nullptr;
    ossl::UniquePtr<SSL_CTX> cctx_, sctx_;
    Peer client_, server_;
    Secrets secrets_;
    const EVP_MD* md_ = nullptr;
};

Secret secret_of(const std::string& hex) {
    const auto b = from_hex(hex);
    return Secret(b.begin(), b.end());
}

std::vector<unsigned char> with_type(const KeyUpdateMessage& m, unsigned char type) {
    std::vector<unsigned char> v(std::begin(m.bytes), std::end(m.bytes));
    v.push_back(type);
    return v;
}

std::vector<unsigned char> bytes(std::string_view s, unsigned char type) {
    std::vector<unsigned char> v(s.begin(), s.end());
    v.push_back(type);
    return v;
}

// The client asks for an update; the server is OpenSSL too. Our keys for
// the next generation (what we would push with TLS_RX) open what OpenSSL
// sends under it, and OpenSSL's answer to update_requested is a KeyUpdate
// of its own, then data under its next key.
TEST_P(OpenSslPair, NextKeysOpenWhatOpenSslSendsAfterSslKeyUpdate) {
    // As the server would keep them: tx = server's secret, rx = client's.
    Tls13KeyUpdater server_view(md_, *spec_, secret_of(secrets_.server0), secret_of(secrets_.client0));
    const KernelCryptoInfo client_gen0 =
        pack_crypto_info(TlsVersion::tls13, *spec_, tls13_traffic_keys(md_, secret_of(secrets_.client0), *spec_), 0);
    const KernelCryptoInfo server_gen0 =
        pack_crypto_info(TlsVersion::tls13, *spec_, tls13_traffic_keys(md_, secret_of(secrets_.server0), *spec_), 0);

    ASSERT_EQ(SSL_key_update(client_.ssl.get(), SSL_KEY_UPDATE_REQUESTED), 1);
    ASSERT_EQ(SSL_write(client_.ssl.get(), "after update", 12), 12);
    const std::vector<unsigned char> c2s = move(client_, server_);
    const KernelCryptoInfo client_gen1 = server_view.next_rx();
    const auto c_records = open_records(c2s, {&client_gen0, &client_gen1});
    ASSERT_EQ(c_records.size(), 2u);
    // Our KeyUpdate bytes are OpenSSL's, as the record's last message.
    const KeyUpdateMessage m = key_update_message(true);
    EXPECT_EQ(c_records[0], with_type(m, 22))
        << to_hex(c_records[0]);
    EXPECT_EQ(c_records[1], bytes("after update", 23));

    char buf[64];
    ASSERT_EQ(SSL_read(server_.ssl.get(), buf, sizeof buf), 12);
    ASSERT_EQ(SSL_write(server_.ssl.get(), "reply", 5), 5);
    const std::vector<unsigned char> s2c = move(server_, client_);
    const KernelCryptoInfo server_gen1 = server_view.next_tx();
    const auto s_records = open_records(s2c, {&server_gen0, &server_gen1});
    ASSERT_EQ(s_records.size(), 2u);
    const KeyUpdateMessage answer = key_update_message(false);
    EXPECT_EQ(s_records[0], with_type(answer, 22));
    EXPECT_EQ(s_records[1], bytes("reply", 23));
    EXPECT_EQ(classify_record(22, {reinterpret_cast<const char*>(s_records[0].data()), 5}),
              RecordAction::key_update);
}

INSTANTIATE_TEST_SUITE_P(Suites, OpenSslPair, ::testing::Values("aes128gcm", "aes256gcm", "chacha20"),
                         [](const auto& i) { return std::string(i.param); });

// ---- SecureStream, records in OpenSSL (--offload user) -------------------------

class UserStreams : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = std::filesystem::temp_directory_path() / ("mptls-keyupd-user-" + std::to_string(::getpid()));
        pki_ = generate_test_pki(dir_, {});
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
    static inline std::filesystem::path dir_;
    static inline TestPki pki_;
};

TlsSettings user_settings(Role role, const TestPki& pki) {
    return TlsSettings{.role = role, .version = VersionChoice::tls13, .offload = Offload::user,
                       .cert_file = pki.server_cert, .key_file = pki.server_key, .ca_file = pki.ca_cert};
}

// update_keys() sends a KeyUpdate at once; the peer's OpenSSL follows it
// and answers the request; both count what they saw.
TEST_F(UserStreams, UpdateKeysIsAnsweredAndCounted) {
    TlsContext sctx(user_settings(Role::server, pki_)), cctx(user_settings(Role::client, pki_));
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);
    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), sctx, "");
        char buf[5];
        EXPECT_TRUE(s.read_exact(buf));
        s.write_all(std::string_view("pong"));
        EXPECT_TRUE(s.read_exact(buf));
        return s.key_updates();
    });
    SecureStream c = SecureStream::establish(connect_to(parse_host_port(listener.bound), Transport::tcp),
                                             cctx, "localhost");
    c.update_keys(true);
    c.write_all(std::string_view("ping1"));
    char buf[4];
    ASSERT_TRUE(c.read_exact(buf));
    c.update_keys(false);
    c.write_all(std::string_view("ping2"));
    const KeyUpdateCounts sc = server.get();
    EXPECT_EQ(sc.received, 2u);
    EXPECT_EQ(sc.sent, 1u); // the answer to update_requested only
    EXPECT_EQ(c.key_updates().sent, 2u);
    EXPECT_EQ(c.key_updates().received, 1u);
}

TEST_F(UserStreams, Tls12HasNoKeyUpdate) {
    TlsSettings ss = user_settings(Role::server, pki_), cs = user_settings(Role::client, pki_);
    ss.version = cs.version = VersionChoice::tls12;
    TlsContext sctx(ss), cctx(cs);
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);
    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), sctx, "");
        s.send_close_notify();
    });
    SecureStream c = SecureStream::establish(connect_to(parse_host_port(listener.bound), Transport::tcp),
                                             cctx, "localhost");
    EXPECT_THROW(c.update_keys(true), Error);
    server.get();
}

} // namespace
} // namespace mptls
