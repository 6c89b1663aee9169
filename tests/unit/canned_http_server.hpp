// SPDX-License-Identifier: MIT
// A TLS server (OpenSSL records, TCP on loopback) that answers each GET on
// one connection with the next canned response, for driving the mptls
// client against responses the tool's own server never sends.
#pragma once

#include <future>
#include <string>
#include <sys/socket.h>
#include <utility>
#include <vector>

#include "mptls/error.hpp"
#include "mptls/secure_stream.hpp"
#include "mptls/test_pki.hpp"

namespace mptls::test {

inline constexpr std::size_t kMaxRequestLine = 8192;

// Reads a request line and its header lines; "" once the peer is done.
inline std::string read_request(SecureStream& s) {
    std::string request;
    while (const auto line = s.read_line(kMaxRequestLine)) {
        if (line->empty())
            return request;
        request += *line + "\n";
    }
    return request;
}

class CannedHttpServer {
public:
    // How the connection ends after the last response.
    enum class End {
        after_client,  // wait for the client's close_notify (or exit), then send ours
        close_notify,  // send close_notify at once: the end of a body that runs to the close
        abrupt,        // close the TCP connection without close_notify: truncation
    };

    CannedHttpServer(const TestPki& pki, std::string response) 
        : CannedHttpServer(pki, std::vector<std::string>{std::move(response)}) {}
    CannedHttpServer(const TestPki& pki, std::vector<std::string> responses, End end = End::after_client)
        : ctx_(TlsSettings{.role = Role::server, .version = VersionChoice::any, .cipher = nullptr,
                           .offload = Offload::user, .cert_file = pki.server_cert,
                           .key_file = pki.server_key, .ca_file = {}, .verify_peer = false,
                           .keylog_file = {}}),
          listener_(listen_on({"127.0.0.1", "0"}, Transport::tcp)) {
        done_ = std::async(std::launch::async, [this, responses = std::move(responses), end] {
            SecureStream s = SecureStream::establish(accept_connection(listener_), ctx_, "");
            std::string requests;
            for (const std::string& response : responses) {
                requests += read_request(s);
                s.write_all(response);
            }
            if (end == End::abrupt) {
                ::shutdown(s.fd(), SHUT_RDWR); // and no close_notify from the destructor
                return requests;
            }
            try {
                if (end == End::close_notify)
                    s.send_close_notify();
                char buf[256];
                while (s.read_some(buf) != 0) {
                }
                s.send_close_notify();
            } catch (const Error&) {
                // The client rejected the response and went away.
            }
            return requests;
        });
    }
    ~CannedHttpServer() { stop(); }

    const std::string& address() const { return listener_.bound; }

    // What the client sent; call once the client has exited.
    std::string request() {
        stop();
        try {
            return done_.get();
        } catch (const Error& e) {
            return std::string("(no request: ") + e.what() + ")";
        }
    }

private:
    // Unblocks accept() if the client never came; an accepted connection is not affected.
    void stop() { ::shutdown(listener_.sock.fd.get(), SHUT_RDWR); }

    TlsContext ctx_;
    Listener listener_;
    std::future<std::string> done_;
};

} // namespace mptls::test
