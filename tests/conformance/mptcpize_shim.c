// SPDX-License-Identifier: GPL-2.0
/*
 * mptcpize_shim.so: LD_PRELOAD library for the kTLS conformance run.
 *
 * MPTLS_SHIM_MODE=mptcp (the default): every socket(AF_INET/AF_INET6,
 *   SOCK_STREAM, 0 or IPPROTO_TCP) becomes socket(..., IPPROTO_MPTCP).  If
 *   that fails the error is returned as is: a silent fallback to TCP would
 *   turn the MPTCP run into a second TCP run.
 * MPTLS_SHIM_MODE=observe: sockets are left alone; only the log is written
 *   (the TCP baseline uses the same library so both runs see the same
 *   process, buffering and logging).
 *
 * In both modes:
 *  - stdout is made line buffered at load time.  The selftest harness runs
 *    each test in a forked child that leaves with _exit(), so whatever a test
 *    printf()s into a pipe ("Failure setting TCP_ULP, testing without tls")
 *    would otherwise be lost, and the runner needs that line.
 *  - each socket(), setsockopt(SOL_TCP, TCP_ULP) and setsockopt(SOL_TLS,
 *    TLS_TX/TLS_RX) is appended as one line to the file named by
 *    MPTLS_SHIM_LOG (opened O_APPEND per write, so forked children share it):
 *      socket <pid> <proto asked> <proto used> <fd or -errno>
 *      ulp <pid> <fd> <SO_PROTOCOL of fd> <name> <0 or -errno>
 *      tls <pid> <fd> <SO_PROTOCOL of fd> TX|RX <0 or -errno>
 *    The runner counts these to prove that the MPTCP run really used MPTCP
 *    sockets and that kTLS really was installed on them.
 *
 * Why not mptcpize(8) from mptcpd: it does the socket() part only, through
 * mptcpd's libmptcpwrap, and gives neither the log nor the line buffering.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mptls_uapi_compat.h"
#ifndef SOL_TCP
#define SOL_TCP 6
#endif
#define SHIM_TLS_TX 1
#define SHIM_TLS_RX 2

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int convert = 1;
static const char *log_path;

__attribute__((constructor)) static void shim_init(void)
{
	const char *mode = getenv("MPTLS_SHIM_MODE");

	setvbuf(stdout, NULL, _IOLBF, 0);
	real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))
		dlsym(RTLD_NEXT, "setsockopt");
	if (mode && !strcmp(mode, "observe"))
		convert = 0;
	log_path = getenv("MPTLS_SHIM_LOG");
	if (log_path && !*log_path)
		log_path = NULL;
}

static void shim_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void shim_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int fd, n, saved = errno;

	if (!log_path)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, line, n);

		(void)w; /* a lost log line shows up as a count mismatch */
		close(fd);
	}
out:
	errno = saved;
}

static int sock_protocol(int fd)
{
	int proto = -1;
	socklen_t len = sizeof(proto);

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len))
		return -1;
	return proto;
}

int socket(int domain, int type, int protocol)
{
	int used = protocol, fd;

	if (!real_socket) {
		errno = ENOSYS;
		return -1;
	}
	if (convert && (domain == AF_INET || domain == AF_INET6) &&
	    (type & 0xf) == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		used = IPPROTO_MPTCP;
	fd = real_socket(domain, type, used);
	if (domain == AF_INET || domain == AF_INET6)
		shim_log("socket %d %d %d %d\n", (int)getpid(), protocol, used,
			 fd >= 0 ? fd : -errno);
	return fd;
}

int setsockopt(int fd, int level, int optname, const void *optval,
	       socklen_t optlen)
{
	int ret;

	if (!real_setsockopt) {
		errno = ENOSYS;
		return -1;
	}
	ret = real_setsockopt(fd, level, optname, optval, optlen);
	if (level == SOL_TCP && optname == TCP_ULP) {
		char name[16] = "";

		if (optval && optlen > 0) {
			size_t n = optlen < sizeof(name) - 1 ? optlen :
							       sizeof(name) - 1;
			size_t i;

			memcpy(name, optval, n);
			for (i = 0; i < n; i++)
				if (name[i] == ' ' || name[i] == '\n' ||
				    name[i] == '\0')
					break;
			name[i] = '\0';
		}
		shim_log("ulp %d %d %d %s %d\n", (int)getpid(), fd,
			 sock_protocol(fd), name[0] ? name : "-",
			 ret ? -errno : 0);
	} else if (level == SOL_TLS &&
		   (optname == SHIM_TLS_TX || optname == SHIM_TLS_RX)) {
		shim_log("tls %d %d %d %s %d\n", (int)getpid(), fd,
			 sock_protocol(fd), optname == SHIM_TLS_TX ? "TX" : "RX",
			 ret ? -errno : 0);
	}
	return ret;
}
