// SPDX-License-Identifier: GPL-2.0
/*
 * Where MPTCP itself, without TLS, answers differently from TCP.  tls.c's
 * shutdown_reuse expects bind() to succeed on a connection after both ends
 * shut it down; TCP unbinds such a socket (tcp_set_state(TCP_CLOSE) puts the
 * port), MPTCP keeps refusing bind with EINVAL.  That is MPTCP's socket
 * semantics, not the record layer's, so the conformance run measures it here
 * on plain sockets and leaves the test out of the target set only when this
 * probe shows MPTCP differing with no TLS at all.
 *
 * Usage: mptcp_semantics_probe tcp|mptcp    prints "bind_after_shutdown=..."
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int proto = argc > 1 && !strcmp(argv[1], "mptcp") ? IPPROTO_MPTCP : IPPROTO_TCP;
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in any = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int lfd, fd, cfd, ret;

	lfd = socket(AF_INET, SOCK_STREAM, proto);
	fd = socket(AF_INET, SOCK_STREAM, proto);
	if (lfd < 0 || fd < 0 || bind(lfd, (void *)&addr, sizeof(addr)) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&addr, &len) || connect(fd, (void *)&addr, sizeof(addr))) {
		printf("bind_after_shutdown=setup-failed:%s\n", strerrorname_np(errno));
		return 1;
	}
	cfd = accept(lfd, NULL, NULL);
	close(lfd);
	/* the same steps as tls.c shutdown_reuse, without TLS */
	shutdown(fd, SHUT_RDWR);
	shutdown(cfd, SHUT_RDWR);
	close(cfd);
	ret = bind(fd, (void *)&any, sizeof(any));
	printf("bind_after_shutdown=%s\n", ret ? strerrorname_np(errno) : "ok");
	return 0;
}
