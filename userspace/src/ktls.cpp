// SPDX-License-Identifier: MIT
#include "mptls/ktls.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "mptls/error.hpp"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace mptls {

std::string ktls_advice(KtlsStep step, int err, const KtlsTarget& t) {
    const std::string cipher = t.cipher ? std::string(t.cipher->name) : "this cipher";
    const std::string alt = t.cipher ? std::string(t.cipher->alternative) : "aes128gcm";
    const char* version = t.version == TlsVersion::tls13 ? "TLS 1.3" : "TLS 1.2";
    const bool rx = step == KtlsStep::set_rx || step == KtlsStep::update_rx;
    const char* dir = rx ? "receive" : "transmit";

    if (step == KtlsStep::attach_ulp) {
        if (t.mptcp_socket && (err == ENOPROTOOPT || err == ENOENT || err == EOPNOTSUPP))
            return "kernel TLS offload for MPTCP is unavailable: load mptls.ko, or use --offload user";
        if (err == ENOENT || err == ENOPROTOOPT)
            return "kernel TLS is unavailable: load the tls module (modprobe tls), or use --offload user";
        if (err == ENOTCONN)
            return "cannot enable kernel TLS on a socket that is not connected";
        return std::string("cannot attach the kernel TLS layer (") + std::strerror(err) +
               "): use --offload user";
    }
    if (step == KtlsStep::update_tx || step == KtlsStep::update_rx) {
        if (err == EBUSY && !t.mptcp_socket)
            return "kernel TLS on plain TCP cannot change keys on this kernel (tls.ko before Linux "
                   "6.14 has no TLS 1.3 key update), so the connection cannot go on after a "
                   "KeyUpdate: use --transport mptcp with mptls.ko, or --offload user";
        if (err == EBUSY)
            return "the kernel refused the next TLS 1.3 keys (EBUSY): load an mptls.ko that "
                   "supports key update, or use --offload user";
        return std::string("cannot install the next TLS 1.3 ") + dir + " key (" + std::strerror(err) +
               "), so the connection cannot go on after a KeyUpdate: use --offload user";
    }
    switch (err) {
    case ENOENT:
        return "the kernel lacks the " + cipher + " cipher for " + version + " " + dir +
               " offload: try --cipher " + alt + ", or use --offload user";
    case EINVAL:
    case EOPNOTSUPP:
        return std::string("the kernel rejected ") + version + " " + cipher + " keys for " + dir +
               " offload (cipher or version unsupported): try --cipher " + alt +
               (t.version == TlsVersion::tls13 ? " or --tls 1.2" : "") + ", or use --offload user";
    case EBUSY:
    case EEXIST:
        return std::string("kernel TLS ") + dir + " keys were already set on this socket";
    case ENOMEM:
        return std::string("the kernel ran out of memory setting up TLS ") + dir + " offload";
    default:
        return std::string("cannot set kernel TLS ") + dir + " keys (" + std::strerror(err) +
               "): use --offload user";
    }
}

void attach_tls_ulp(const KtlsTarget& t) {
    static constexpr char ulp[] = "tls";
    if (setsockopt(t.fd, SOL_TCP, TCP_ULP, ulp, sizeof ulp - 1) != 0) {
        const int err = errno;
        throw Error(ktls_advice(KtlsStep::attach_ulp, err, t), err);
    }
}

void push_crypto_info(const KtlsTarget& t, KtlsStep step, const KernelCryptoInfo& info) {
    const bool rx = step == KtlsStep::set_rx || step == KtlsStep::update_rx;
    // A key update waits, interruptibly, for a blocked reader or writer of
    // its direction; EINTR means nothing changed, so try again.
    while (setsockopt(t.fd, SOL_TLS, rx ? TLS_RX : TLS_TX, info.data(), info.size()) != 0) {
        const int err = errno;
        if (err != EINTR)
            throw Error(ktls_advice(step, err, t), err);
    }
}

} // namespace mptls
