// SPDX-License-Identifier: MIT
// Embedding the library in another OpenSSL application (issue 13): our
// ex_data slots and chained key-log callback, TLS13-KDF, secrets wiped after
// the key push, no session tickets by default, and OpenSSL 3's
// unexpected-EOF report. In-memory handshakes (BIO pairs) and loopback
// sockets: no kernel TLS needed.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <string>
#include <tuple>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "handshake_observer.hpp"
#include "hex.hpp"
#include "mptls/error.hpp"
#include "mptls/kdf.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"
#include "mptls/tls_context.hpp"
#include "tls_failure.hpp"

namespace mptls {
namespace {

using test::from_hex;
using test::to_hex;

class Pki : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = std::filesystem::temp_directory_path() /
               ("mptls-embed-" + std::to_string(::getpid()));
        pki_ = generate_test_pki(dir_, {});
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

    static TlsSettings settings(Role role, VersionChoice v = VersionChoice::tls13) {
        return TlsSettings{.role = role, .version = v, .cipher = nullptr, .offload = Offload::user,
                           .cert_file = pki_.server_cert, .key_file = pki_.server_key,
                           .ca_file = pki_.ca_cert, .verify_peer = true, .keylog_file = {}};
    }

    static inline std::filesystem::path dir_;
    static inline TestPki pki_;
};

// Two SSLs joined by an in-memory BIO pair.
struct BioPairConnection {
    ossl::UniquePtr<SSL> client, server;

    BioPairConnection(TlsContext& cctx, TlsContext& sctx)
        : client(cctx.new_ssl()), server(sctx.new_ssl()) {
        BIO *c = nullptr, *s = nullptr;
        if (BIO_new_bio_pair(&c, 0, &s, 0) != 1)
            throw Error::from_openssl("BIO_new_bio_pair");
        SSL_set_bio(client.get(), c, c);
        SSL_set_bio(server.get(), s, s);
        SSL_set_connect_state(client.get());
        SSL_set_accept_state(server.get());
    }

    // Drives both sides; true when both finished, false when one failed.
    bool handshake(int* client_error = nullptr) {
        bool c_done = false, s_done = false;
        for (int round = 0; round < 50 && !(c_done && s_done); ++round) {
            if (!c_done) {
                ERR_clear_error();
                const int r = SSL_do_handshake(client.get());
                const int e = SSL_get_error(client.get(), r);
                if (r == 1) c_done = true;
                else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    if (client_error != nullptr) *client_error = e;
                    return false;
                }
            }
            if (!s_done) {
                const int r = SSL_do_handshake(server.get());
                const int e = SSL_get_error(server.get(), r);
                if (r == 1) s_done = true;
                else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    ERR_clear_error();
                    return false;
                }
            }
        }
        return c_done && s_done;
    }
};

// ---- ex_data and the key-log callback --------------------------------------

std::vector<std::string>& app_keylog_lines() {
    static std::vector<std::string> lines;
    return lines;
}
void app_keylog(const SSL*, const char* line) { app_keylog_lines().emplace_back(line); }
int app_info_calls = 0;
void app_info(const SSL*, int, int) { ++app_info_calls; }

std::string secret_in(const std::vector<std::string>& lines, const std::string& label) {
    for (const auto& l : lines)
        if (l.starts_with(label + " "))
            return l.substr(l.rfind(' ') + 1);
    return {};
}

TEST_F(Pki, AppDataAndKeylogCallbackStayTheApplications) {
    TlsContext cctx(settings(Role::client));
    TlsContext sctx(settings(Role::server));
    int ctx_marker = 0, ssl_marker = 0;
    // What an embedding application does with the SSL_CTX it got from us.
    SSL_CTX_set_app_data(cctx.get(), &ctx_marker);
    SSL_CTX_set_keylog_callback(cctx.get(), app_keylog);
    SSL_CTX_set_info_callback(cctx.get(), app_info);
    app_keylog_lines().clear();
    app_info_calls = 0;

    BioPairConnection conn(cctx, sctx);
    // ... and with the SSL, before we attach our observers.
    SSL_set_app_data(conn.client.get(), &ssl_marker);
    HandshakeObserver cobs(Role::client), sobs(Role::server);
    cobs.attach(conn.client.get());
    sobs.attach(conn.server.get());
    ASSERT_TRUE(conn.handshake()) << drain_openssl_errors();

    // The application's slots are untouched ...
    EXPECT_EQ(SSL_get_app_data(conn.client.get()), &ssl_marker);
    EXPECT_EQ(SSL_CTX_get_app_data(cctx.get()), &ctx_marker);
    EXPECT_EQ(TlsContext::of(cctx.get()), &cctx);
    EXPECT_EQ(HandshakeObserver::of(conn.client.get()), &cobs);
    // ... its key-log callback got every line, in order ...
    const auto& lines = app_keylog_lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(lines.front().starts_with("SERVER_HANDSHAKE_TRAFFIC_SECRET ") ||
                lines.front().starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET "))
        << lines.front();
    const std::string client_app = secret_in(lines, "CLIENT_TRAFFIC_SECRET_0");
    const std::string server_app = secret_in(lines, "SERVER_TRAFFIC_SECRET_0");
    ASSERT_FALSE(client_app.empty());
    ASSERT_FALSE(server_app.empty());
    // ... its info callback still runs ...
    EXPECT_GT(app_info_calls, 0);
    // ... and offload still learned the traffic secrets, on both sides.
    EXPECT_EQ(to_hex(cobs.client_app_secret()), client_app);
    EXPECT_EQ(to_hex(cobs.server_app_secret()), server_app);
    EXPECT_EQ(to_hex(sobs.client_app_secret()), client_app);
    EXPECT_EQ(to_hex(sobs.server_app_secret()), server_app);
    EXPECT_TRUE(cobs.keylog_error().empty());

    // The application clearing its callback leaves ours in place.
    SSL_CTX_set_keylog_callback(cctx.get(), nullptr);
    BioPairConnection again(cctx, sctx);
    HandshakeObserver obs2(Role::client);
    obs2.attach(again.client.get());
    const std::size_t before = lines.size();
    ASSERT_TRUE(again.handshake());
    EXPECT_EQ(lines.size(), before);
    EXPECT_TRUE(obs2.holds_secrets());
}

TEST(HandshakeObserver, RejectsASecretThatIsNotHex) {
    HandshakeObserver obs(Role::client);
    const std::string good(64, 'a');
    obs.on_keylog_line("CLIENT_TRAFFIC_SECRET_0 00 " + good);
    ASSERT_EQ(obs.client_app_secret().size(), 32u);
    obs.on_keylog_line("CLIENT_TRAFFIC_SECRET_0 00 " + std::string(62, 'a') + "zz");
    EXPECT_FALSE(obs.keylog_error().empty());
    EXPECT_EQ(to_hex(obs.client_app_secret()), good); // unchanged, not half-written
    obs.on_keylog_line("SERVER_TRAFFIC_SECRET_0 00 abc"); // odd length
    EXPECT_TRUE(obs.server_app_secret().empty());
}

TEST(HandshakeObserver, WipeSecretsEmptiesTheState) {
    HandshakeObserver obs(Role::server);
    obs.on_keylog_line("CLIENT_TRAFFIC_SECRET_0 00 " + std::string(64, '1'));
    obs.on_keylog_line("SERVER_TRAFFIC_SECRET_0 00 " + std::string(96, '2'));
    EXPECT_TRUE(obs.holds_secrets());
    obs.wipe_secrets();
    EXPECT_FALSE(obs.holds_secrets());
    EXPECT_TRUE(obs.client_app_secret().empty());
    EXPECT_TRUE(obs.server_app_secret().empty());
}

// ---- TLS13-KDF -------------------------------------------------------------

// RFC 8448 §3: "derived" from the early secret, with a non-empty context
// (the SHA-256 of the empty string).
TEST(Tls13Kdf, Rfc8448DerivedSecretWithContext) {
    const auto early = from_hex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
    const auto empty_hash = from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), early, "derived", empty_hash, 32)),
              "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
}

// RFC 8448 §3: server handshake traffic key and iv.
TEST(Tls13Kdf, Rfc8448ServerHandshakeKeyAndIv) {
    const auto secret = from_hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "key", {}, 16)),
              "3fce516009c21727d0f2e4e86ee403bc");
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha256(), secret, "iv", {}, 12)),
              "5d313eb2671276ee13000b30");
}

// SHA-384 (TLS_AES_256_GCM_SHA384), checked against an independent
// HMAC-based HKDF-Expand-Label.
TEST(Tls13Kdf, Sha384AgainstReference) {
    std::vector<unsigned char> secret(48);
    for (std::size_t i = 0; i < secret.size(); ++i)
        secret[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha384(), secret, "key", {}, 32)),
              "6877d022f1c61d24ebb7487c16752d9a4798e40431c75b39320e537c90e23225");
    const std::vector<unsigned char> context = {1, 2, 3};
    EXPECT_EQ(to_hex(hkdf_expand_label(EVP_sha384(), secret, "exporter", context, 48)),
              "ff0b7c93f23544d608de4d0837e5b1ffabd4b25db1843c131a1178ebfe08945c"
              "9627fc6061cda51b84bb89cc04f77652");
}

TEST(Tls13Kdf, RefusesInputsBeyondRfc8446Limits) {
    const std::vector<unsigned char> secret(32, 1), big_context(256, 0);
    EXPECT_THROW(hkdf_expand_label(EVP_sha256(), secret, "key", big_context, 16), Error);
    EXPECT_THROW(hkdf_expand_label(EVP_sha256(), secret, std::string(250, 'x'), {}, 16), Error);
}

// ---- secrets wiped after the key push --------------------------------------

// A stand-in for setsockopt(TLS_TX/TLS_RX): keeps what would have been pushed.
thread_local std::vector<KernelCryptoInfo> pushed;
thread_local int ulp_attached = 0;
void fake_attach(const KtlsTarget&) { ++ulp_attached; }
void fake_push(const KtlsTarget&, KtlsStep, const KernelCryptoInfo& info) { pushed.push_back(info); }

struct SideResult {
    bool holds_state = true;
    bool crypto_info_throws = false;
    bool tx = false, rx = false;
    std::vector<KernelCryptoInfo> pushed;
    int ulp = 0;
};

SideResult inspect(SecureStream& s) {
    SideResult r;
    r.holds_state = s.holds_tls_state();
    try {
        (void)s.kernel_crypto_info();
    } catch (const Error&) {
        r.crypto_info_throws = true;
    }
    r.tx = s.info().tx_in_kernel;
    r.rx = s.info().rx_in_kernel;
    r.pushed = pushed;
    r.ulp = ulp_attached;
    pushed.clear();
    ulp_attached = 0;
    return r;
}

class KeyPush : public Pki, public ::testing::WithParamInterface<std::tuple<VersionChoice, bool>> {};

// TLS 1.2, or key updates off: nothing is left. TLS 1.3 with key updates
// (the default) keeps the two traffic secrets, and nothing else.
TEST_P(KeyPush, SecretsAndSslAreGoneOnceTheKernelHasBothDirections) {
    const auto [version, key_updates] = GetParam();
    TlsSettings ss = settings(Role::server, version), cs = settings(Role::client, version);
    ss.offload = cs.offload = Offload::kernel;
    ss.key_updates = cs.key_updates = key_updates;
    const bool keeps = version == VersionChoice::tls13 && key_updates;
    TlsContext sctx(ss), cctx(cs);
    const KernelPushOps fake{.attach_ulp = fake_attach, .push = fake_push};
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);

    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), sctx, "", fake);
        return inspect(s);
    });
    SecureStream c = SecureStream::establish(connect_to(parse_host_port(listener.bound), Transport::tcp),
                                             cctx, "localhost", fake);
    const SideResult cr = inspect(c);
    const SideResult sr = server.get();

    for (const SideResult* r : {&cr, &sr}) {
        EXPECT_EQ(r->holds_state, keeps);
        EXPECT_TRUE(r->crypto_info_throws);
        EXPECT_TRUE(r->tx && r->rx);
        EXPECT_EQ(r->ulp, 1);
        ASSERT_EQ(r->pushed.size(), 2u); // TX then RX
    }
    // What each side pushed for TX is what the other pushed for RX.
    auto same = [](Bytes a, Bytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); };
    EXPECT_TRUE(same(cr.pushed[0].key(), sr.pushed[1].key()));
    EXPECT_TRUE(same(sr.pushed[0].key(), cr.pushed[1].key()));
    EXPECT_FALSE(same(cr.pushed[0].key(), cr.pushed[1].key()));
    // No tickets by default: the server's TX starts at record 0 in TLS 1.3.
    if (version == VersionChoice::tls13)
        EXPECT_EQ(sr.pushed[0].rec_seq()[7], 0);

    // The kept secrets go with take_key_updater(); release_socket() wipes
    // whatever is left, and hands the socket over once nothing is buffered.
    EXPECT_EQ(c.take_key_updater().has_value(), keeps);
    EXPECT_FALSE(c.holds_tls_state());
    Socket sock = std::move(c).release_socket();
    EXPECT_TRUE(sock.fd);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, KeyPush,
                         ::testing::Combine(::testing::Values(VersionChoice::tls12, VersionChoice::tls13),
                                            ::testing::Bool()),
                         [](const auto& i) {
                             return std::string(std::get<0>(i.param) == VersionChoice::tls12 ? "tls12" : "tls13") +
                                    (std::get<1>(i.param) ? "_key_updates" : "_no_key_updates");
                         });

TEST_F(Pki, UserOffloadKeepsItsState) {
    TlsContext sctx(settings(Role::server)), cctx(settings(Role::client));
    const Listener listener = listen_on({"127.0.0.1", "0"}, Transport::tcp);
    auto server = std::async(std::launch::async, [&] {
        SecureStream s = SecureStream::establish(accept_connection(listener), sctx, "");
        return s.holds_tls_state();
    });
    SecureStream c = SecureStream::establish(connect_to(parse_host_port(listener.bound), Transport::tcp),
                                             cctx, "localhost");
    EXPECT_TRUE(c.holds_tls_state());
    EXPECT_NO_THROW((void)c.kernel_crypto_info());
    EXPECT_THROW((void)std::move(c).release_socket(), Error);
    EXPECT_TRUE(server.get());
}

// ---- session tickets -------------------------------------------------------

TEST_F(Pki, NoSessionTicketsUnlessAsked) {
    TlsContext plain(settings(Role::server));
    EXPECT_EQ(SSL_CTX_get_num_tickets(plain.get()), 0u);
    EXPECT_NE(SSL_CTX_get_options(plain.get()) & SSL_OP_NO_TICKET, 0u);
    EXPECT_EQ(SSL_CTX_get_session_cache_mode(plain.get()), SSL_SESS_CACHE_OFF);

    TlsSettings with = settings(Role::server);
    with.session_tickets = true;
    TlsContext tickets(with);
    EXPECT_EQ(SSL_CTX_get_num_tickets(tickets.get()), 2u);
    EXPECT_EQ(SSL_CTX_get_options(tickets.get()) & SSL_OP_NO_TICKET, 0u);

    // On the wire: with tickets the server wrote records after its Finished.
    TlsContext cctx(settings(Role::client));
    for (TlsContext* sctx : {&plain, &tickets}) {
        BioPairConnection conn(cctx, *sctx);
        HandshakeObserver sobs(Role::server);
        sobs.attach(conn.server.get());
        ASSERT_TRUE(conn.handshake());
        if (sctx == &plain)
            EXPECT_EQ(sobs.next_record_seq(Flow::write, TlsVersion::tls13), 0u);
        else
            EXPECT_GE(sobs.next_record_seq(Flow::write, TlsVersion::tls13), 1u);
    }
}

// ---- unexpected EOF and failure messages -----------------------------------

TEST_F(Pki, PeerClosingWithoutCloseNotifyIsUnexpectedEof) {
    TlsContext cctx(settings(Role::client)), sctx(settings(Role::server));
    BioPairConnection conn(cctx, sctx);
    ASSERT_TRUE(conn.handshake());
    ASSERT_EQ(BIO_shutdown_wr(SSL_get_wbio(conn.server.get())), 1);

    char buf[64];
    std::size_t n = 0;
    ERR_clear_error();
    const int ret = SSL_read_ex(conn.client.get(), buf, sizeof buf, &n);
    const int err = SSL_get_error(conn.client.get(), ret);
    EXPECT_EQ(err, SSL_ERROR_SSL); // OpenSSL 3's form
    EXPECT_TRUE(is_unexpected_eof(err, 0));
    const std::string msg = describe_ssl_failure(conn.client.get(), err, 0, "", "TLS receive failed");
    EXPECT_NE(msg.find("without close_notify"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("certificate"), std::string::npos) << msg;
}

TEST_F(Pki, CloseNotifyIsNotUnexpectedEof) {
    TlsContext cctx(settings(Role::client)), sctx(settings(Role::server));
    BioPairConnection conn(cctx, sctx);
    ASSERT_TRUE(conn.handshake());
    SSL_shutdown(conn.server.get());
    BIO_shutdown_wr(SSL_get_wbio(conn.server.get()));

    char buf[64];
    std::size_t n = 0;
    ERR_clear_error();
    const int ret = SSL_read_ex(conn.client.get(), buf, sizeof buf, &n);
    const int err = SSL_get_error(conn.client.get(), ret);
    EXPECT_EQ(err, SSL_ERROR_ZERO_RETURN);
    EXPECT_FALSE(is_unexpected_eof(err, 0));
}

TEST_F(Pki, SecureStreamReportsATruncatedConnection) {
    // OpenSSL answers the EOF with a fatal alert on the closed socket; as
    // secure_stream.hpp asks, programs ignore SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    TlsContext cctx(settings(Role::client)), sctx(settings(Role::server));
    auto server = std::async(std::launch::async, [&] {
        // Handshake, then close without close_notify.
        SecureStream s = SecureStream::establish(Socket{.fd = Fd(sv[1]), .is_mptcp = false, .note = {}},
                                                 sctx, "");
    });
    SecureStream c = SecureStream::establish(Socket{.fd = Fd(sv[0]), .is_mptcp = false, .note = {}},
                                             cctx, "localhost");
    server.get();
    char buf[64];
    try {
        (void)c.read_some(buf);
        FAIL() << "read_some returned";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("without close_notify"), std::string::npos) << e.what();
    }
}

// Verification off: a failure that has nothing to do with the certificate
// must not blame it, even though the chain did not verify.
TEST_F(Pki, UnverifiedCertificateIsNotBlamedForOtherFailures) {
    TlsSettings cs = settings(Role::client);
    cs.verify_peer = false;
    TlsContext cctx(cs), sctx(settings(Role::server));
    BioPairConnection conn(cctx, sctx);
    ASSERT_TRUE(conn.handshake());
    EXPECT_NE(SSL_get_verify_result(conn.client.get()), X509_V_OK); // no CA loaded
    BIO_shutdown_wr(SSL_get_wbio(conn.server.get()));
    char buf[64];
    std::size_t n = 0;
    ERR_clear_error();
    const int ret = SSL_read_ex(conn.client.get(), buf, sizeof buf, &n);
    const int err = SSL_get_error(conn.client.get(), ret);
    const std::string msg = describe_ssl_failure(conn.client.get(), err, 0, "", "TLS receive failed");
    EXPECT_EQ(msg.find("certificate"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("--insecure"), std::string::npos) << msg;
}

TEST_F(Pki, FailedVerificationIsNamedWithAdvice) {
    TlsSettings cs = settings(Role::client);
    cs.ca_file = pki_.server_cert; // not the issuer
    TlsContext cctx(cs), sctx(settings(Role::server));
    BioPairConnection conn(cctx, sctx);
    int err = 0;
    ASSERT_FALSE(conn.handshake(&err));
    const std::string msg = describe_ssl_failure(conn.client.get(), err, 0, "", "TLS handshake failed");
    EXPECT_NE(msg.find("certificate verify failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pass the issuing CA with --ca"), std::string::npos) << msg;
}

} // namespace
} // namespace mptls
