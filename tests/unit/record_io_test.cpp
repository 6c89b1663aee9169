// SPDX-License-Identifier: MIT
// What happens to non-data records that reach userspace after the key push.
#include <gtest/gtest.h>

#include <string>

#include "mptls/error.hpp"
#include "mptls/ktls_record_io.hpp"

namespace mptls {
namespace {

std::string bytes(std::initializer_list<unsigned char> b) { return std::string(b.begin(), b.end()); }

std::string error_of(unsigned char type, const std::string& payload) {
    try {
        classify_record(type, payload);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ClassifyRecord, ApplicationDataIsDelivered) {
    EXPECT_EQ(classify_record(23, std::string("hello")), RecordAction::deliver);
}

TEST(ClassifyRecord, CloseNotifyIsACleanEnd) {
    EXPECT_EQ(classify_record(21, bytes({1, 0})), RecordAction::end_of_stream);
    EXPECT_EQ(classify_record(21, bytes({2, 0})), RecordAction::end_of_stream);
}

TEST(ClassifyRecord, UserCanceledWarningIsSkipped) {
    EXPECT_EQ(classify_record(21, bytes({1, 90})), RecordAction::skip);
}

TEST(ClassifyRecord, FatalAlertIsNamed) {
    EXPECT_EQ(error_of(21, bytes({2, 40})), "peer sent TLS alert \"handshake failure\"");
    EXPECT_EQ(error_of(21, bytes({2, 20})), "peer sent TLS alert \"bad record mac\"");
    EXPECT_EQ(error_of(21, bytes({2})), "peer sent a malformed alert record");
}

TEST(ClassifyRecord, SessionTicketsAreConsumedSilently) {
    // Two NewSessionTicket messages (type 4) in one record, bodies of 3 and 0 bytes.
    EXPECT_EQ(classify_record(22, bytes({4, 0, 0, 3, 0xaa, 0xbb, 0xcc, 4, 0, 0, 0})), RecordAction::skip);
}

// A valid KeyUpdate is for the caller to follow (key_update_test.cpp); a
// malformed one names the rule it breaks.
TEST(ClassifyRecord, KeyUpdateIsHandedUpAndAMalformedOneIsAClearError) {
    EXPECT_EQ(classify_record(22, bytes({24, 0, 0, 1, 0})), RecordAction::key_update);
    EXPECT_EQ(error_of(22, bytes({24, 0, 0, 1, 7})),
              "peer sent a malformed TLS 1.3 KeyUpdate (length 1, value 7; RFC 8446 allows one byte, "
              "0 or 1), so the connection cannot go on; check the peer's TLS library");
    EXPECT_NE(error_of(22, bytes({24, 0, 0, 1, 1, 4, 0, 0, 0})).find("not the last message of its record"),
              std::string::npos);
}

TEST(ClassifyRecord, RenegotiationAndOtherHandshakesAreErrors) {
    EXPECT_NE(error_of(22, bytes({0, 0, 0, 0})).find("renegotiation"), std::string::npos);
    EXPECT_NE(error_of(22, bytes({13, 0, 0, 0})).find("unexpected handshake message type 13"),
              std::string::npos);
}

TEST(ClassifyRecord, HandshakeMessageSplitAcrossRecordsIsAnError) {
    EXPECT_NE(error_of(22, bytes({4, 0, 0, 9, 1})).find("split across records"), std::string::npos);
    EXPECT_NE(error_of(22, bytes({4, 0})).find("split across records"), std::string::npos);
}

TEST(ClassifyRecord, UnknownRecordTypeIsAnError) {
    EXPECT_EQ(error_of(24, "x"), "peer sent a TLS record of unsupported type 24 after the handshake");
}

} // namespace
} // namespace mptls
