// SPDX-License-Identifier: MIT
// RFC 9530 digest fields as HTTP --check-data reads and writes them.
#include <gtest/gtest.h>

#include <vector>

#include "http_digest.hpp"
#include "mptls/error.hpp"

namespace mptls::tool {
namespace {

// SHA-256 of {"hello": "world"}, the example body of RFC 9530 section 3.
constexpr const char* kHelloWorldB64 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
constexpr const char* kHelloWorldHex = "5f8f04f6a3a892aaabbddb6cf273894493773960d4a325b105fee46eef4304f1";

std::string b64(std::string_view s) {
    return base64({reinterpret_cast<const unsigned char*>(s.data()), s.size()});
}

std::string hex_of(const std::optional<Digest>& d) { return d ? to_hex(*d) : "(none)"; }

TEST(Base64, Rfc4648Vectors) {
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("f"), "Zg==");
    EXPECT_EQ(b64("fo"), "Zm8=");
    EXPECT_EQ(b64("foo"), "Zm9v");
    EXPECT_EQ(b64("foob"), "Zm9vYg==");
    EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

TEST(ReprDigest, FormatsTheRfcExample) {
    Sha256 sha;
    sha.update(std::string_view(R"({"hello": "world"})"));
    EXPECT_EQ(repr_digest_sha256(sha.finish()), std::string("sha-256=:") + kHelloWorldB64 + ":");
}

TEST(ReprDigest, ParsesWhatItFormats) {
    Sha256 sha;
    sha.update(std::string_view("some body"));
    const Digest d = sha.finish();
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(repr_digest_sha256(d))), to_hex(d));
}

TEST(ReprDigest, FindsSha256AmongOtherMembers) {
    const std::string sha256 = std::string("sha-256=:") + kHelloWorldB64 + ":";
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(sha256)), kHelloWorldHex);
    EXPECT_EQ(hex_of(parse_repr_digest_sha256("  " + sha256 + " \t")), kHelloWorldHex);
    EXPECT_EQ(hex_of(parse_repr_digest_sha256("sha-512=:YWJj:, " + sha256)), kHelloWorldHex);
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(sha256 + ",sha-512=:YWJj:")), kHelloWorldHex);
    // Parameters after the value are allowed and ignored.
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(sha256 + ";note=1")), kHelloWorldHex);
    // A comma inside another member's string does not split the field, so
    // the text after it is not taken for a later sha-256 member.
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(sha256 + R"(, x="a, sha-256=:AAAA:")")), kHelloWorldHex);
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(sha256 + R"(, x="a\", sha-256=:AAAA:")")), kHelloWorldHex);
    // Booleans, tokens and inner lists in other members are skipped.
    EXPECT_EQ(hex_of(parse_repr_digest_sha256("unixsum, x=?1, y=tok, z=(1 2), " + sha256)), kHelloWorldHex);
}

TEST(ReprDigest, LastSha256MemberWins) {
    // RFC 8941: a repeated key overrides the earlier value.
    const std::string wrong = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:";
    const std::string right = std::string("sha-256=:") + kHelloWorldB64 + ":";
    EXPECT_EQ(hex_of(parse_repr_digest_sha256(wrong + ", " + right)), kHelloWorldHex);
    EXPECT_NE(hex_of(parse_repr_digest_sha256(right + ", " + wrong)), kHelloWorldHex);
}

TEST(ReprDigest, AcceptsMissingPadding) {
    std::string unpadded = kHelloWorldB64;
    unpadded.pop_back();
    EXPECT_EQ(hex_of(parse_repr_digest_sha256("sha-256=:" + unpadded + ":")), kHelloWorldHex);
}

TEST(ReprDigest, RejectsMalformedFields) {
    const std::string b = kHelloWorldB64;
    for (const std::string& field : std::vector<std::string>{
             "",                                            // no member at all
             "sha-512=:" + b + ":",                         // another algorithm only
             "SHA-256=:" + b + ":",                         // keys are lower case
             "sha-256 =:" + b + ":",                        // no space before '='
             "sha-256=" + b,                                // a token, not a byte sequence
             "sha-256=\"" + b + "\"",                       // a string, not a byte sequence
             "sha-256=:" + b,                               // unterminated byte sequence
             "sha-256=:" + b + ":x",                        // junk after the value
             "sha-256",                                     // a boolean
             "sha-256=:" + b.substr(4) + ":",               // too short for SHA-256
             "sha-256=:" + b.substr(0, 43) + "AAAA=:",      // too long
             "sha-256=:" + b.substr(0, 42) + "*=:",         // not base64
             "sha-256=:" + b.substr(0, 43) + "==:",         // padding for a different length
             "sha-256=:" + b + ":,",                        // trailing comma
             "a=1,,sha-256=:" + b + ":",                    // empty member
             "x=\"open, sha-256=:" + b + ":",               // unterminated string
         }) {
        EXPECT_FALSE(parse_repr_digest_sha256(field)) << field;
    }
}

TEST(WantReprDigest, AsksForSha256WithPositiveWeight) {
    EXPECT_TRUE(wants_sha256(kWantSha256));
    EXPECT_TRUE(wants_sha256("sha-256=1"));
    EXPECT_TRUE(wants_sha256("sha-512=10, sha-256=3"));
    EXPECT_TRUE(wants_sha256(" sha-256=5;x=1 "));
    EXPECT_FALSE(wants_sha256("sha-256=0"));
    EXPECT_FALSE(wants_sha256("sha-256=-1"));
    EXPECT_FALSE(wants_sha256("sha-512=10"));
    EXPECT_FALSE(wants_sha256("sha-256"));
    EXPECT_FALSE(wants_sha256("sha-256=1.5"));
    EXPECT_FALSE(wants_sha256("sha-256=ten"));
    EXPECT_FALSE(wants_sha256("sha-256=99999999999999999999"));
    EXPECT_FALSE(wants_sha256("sha-256=10, sha-256=0")); // the last one counts
    EXPECT_FALSE(wants_sha256("Sha-256=10"));
    EXPECT_FALSE(wants_sha256(""));
}

std::string check_error(const std::optional<std::string>& field, const Digest& got) {
    try {
        check_repr_digest("/x", field, got);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(CheckReprDigest, NamesThePathAndBothDigests) {
    Sha256 sha;
    sha.update(std::string_view(R"({"hello": "world"})"));
    const Digest body = sha.finish();
    const std::string field = std::string("sha-256=:") + kHelloWorldB64 + ":";
    EXPECT_EQ(check_error(field, body), "(no error)");
    EXPECT_EQ(check_error(std::nullopt, body),
              "server sent no Repr-Digest for /x; --check-data needs a server that sends one");
    EXPECT_EQ(check_error("sha-512=:YWJj:", body),
              "server sent a Repr-Digest for /x without a valid sha-256 member (\"sha-512=:YWJj:\"); "
              "--check-data needs sha-256=:<base64>:");
    Digest other = body;
    other[31] ^= 1;
    EXPECT_EQ(check_error(field, other),
              "body of /x does not match the server's Repr-Digest (sha-256 got " + to_hex(other) +
                  ", want " + kHelloWorldHex + ")");
}

} // namespace
} // namespace mptls::tool
