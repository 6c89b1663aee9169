// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_probe [tcp|mptcp]: one kTLS round trip on a loopback connection of
 * the given protocol, reported as key=value lines for the conformance runner:
 *
 *   proto=tcp|mptcp
 *   socket=ok|ERRNO      socket(AF_INET, SOCK_STREAM, proto)
 *   connect=ok|ERRNO     listen/connect/accept on 127.0.0.1
 *   ulp=ok|ERRNO         setsockopt(SOL_TCP, TCP_ULP, "tls") on both ends
 *   tx=ok|ERRNO          TLS 1.3 AES-GCM-128 TLS_TX on the client
 *   rx=ok|ERRNO          the same key as TLS_RX on the server
 *   data=ok|ERRNO|short  one record through and back out in clear
 *   rekey=ok|ERRNO       a second TLS_TX (the 6.14+ TLS 1.3 key update);
 *                        EBUSY means the kernel has no rekey, and the
 *                        selftest's rekey tests would only hang there
 *
 * ERRNO is the symbolic name (EOPNOTSUPP, ENOENT...).  Exit status 0 when
 * data=ok, 1 otherwise.  The whole probe is bounded by alarm(20).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mptls_uapi_compat.h"

static void report(const char *key, int err)
{
	if (!err)
		printf("%s=ok\n", key);
	else
		printf("%s=%s\n", key, strerrorname_np(err) ?: "EUNKNOWN");
}

/* Runs STEP; on failure reports errno under KEY and returns 1. */
#define STEP(key, expr)                         \
	do {                                    \
		if ((expr) < 0) {               \
			report(key, errno);     \
			return 1;               \
		}                               \
	} while (0)

int main(int argc, char **argv)
{
	int mptcp = argc > 1 && !strcmp(argv[1], "mptcp");
	int proto = mptcp ? IPPROTO_MPTCP : IPPROTO_TCP;
	struct tls12_crypto_info_aes_gcm_128 key;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len = sizeof(addr);
	const char msg[] = "mptls conformance probe";
	char buf[64];
	int lfd, cfd, sfd;
	ssize_t n;

	alarm(20);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("proto=%s\n", mptcp ? "mptcp" : "tcp");

	STEP("socket", lfd = socket(AF_INET, SOCK_STREAM, proto));
	STEP("socket", cfd = socket(AF_INET, SOCK_STREAM, proto));
	report("socket", 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	STEP("connect", bind(lfd, (struct sockaddr *)&addr, sizeof(addr)));
	STEP("connect", listen(lfd, 1));
	STEP("connect", getsockname(lfd, (struct sockaddr *)&addr, &len));
	STEP("connect", connect(cfd, (struct sockaddr *)&addr, sizeof(addr)));
	STEP("connect", sfd = accept(lfd, NULL, NULL));
	report("connect", 0);

	STEP("ulp", setsockopt(cfd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")));
	STEP("ulp", setsockopt(sfd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")));
	report("ulp", 0);

	memset(&key, 0x5a, sizeof(key));
	key.info.version = TLS_1_3_VERSION;
	key.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	STEP("tx", setsockopt(cfd, SOL_TLS, TLS_TX, &key, sizeof(key)));
	report("tx", 0);
	STEP("rx", setsockopt(sfd, SOL_TLS, TLS_RX, &key, sizeof(key)));
	report("rx", 0);

	STEP("data", setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	STEP("data", send(cfd, msg, sizeof(msg), 0));
	STEP("data", n = recv(sfd, buf, sizeof(msg), MSG_WAITALL));
	if (n != sizeof(msg) || memcmp(buf, msg, sizeof(msg))) {
		printf("data=short\n");
		return 1;
	}
	report("data", 0);

	if (setsockopt(cfd, SOL_TLS, TLS_TX, &key, sizeof(key)) < 0)
		report("rekey", errno);
	else
		report("rekey", 0);
	close(sfd);
	close(cfd);
	close(lfd);
	return 0;
}
