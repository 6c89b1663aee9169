/* SPDX-License-Identifier: MIT */
/*
 * The socket constants our C tests use that older libc headers lack: one
 * place for them, so that every test names the same numbers as the kernel's
 * include/linux/socket.h, uapi/linux/in.h and uapi/linux/tcp.h.
 */
#ifndef MPTLS_UAPI_COMPAT_H
#define MPTLS_UAPI_COMPAT_H

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#endif
