// SPDX-License-Identifier: MIT
/*
 * kTLS on MPTCP sockets over the transports MPTCP can end up on: a
 * connection that fell back to plain TCP (the peer is a TCP socket), IPv6,
 * IPv4-mapped addresses on an IPv6 listener; and stock kTLS on TCP sockets
 * working side by side while mptls is loaded.  Each moves data both ways at
 * once and checks every byte.  KT_TRANSPORT_BYTES sets the size (default 1M).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "ktls.h"

static uint64_t bytes(void)
{
	return kt_env_size("KT_TRANSPORT_BYTES", 1 << 20);
}

/* A pair, TLS both ways, a duplex transfer; @expect_* is what SO_PROTOCOL says. */
static void duplex_over(const struct kt_variant *v, int client_family, int client_proto,
			int server_family, int server_proto, const char *listen_addr,
			const char *connect_addr)
{
	uint16_t port = 0;
	int lfd = kt_listen(server_family, server_proto, listen_addr, &port);
	int client = kt_connect(client_family, client_proto, connect_addr, port);
	int server = accept(lfd, NULL, NULL);

	ASSERT_OK(server);
	close(lfd);
	ASSERT_EQ(kt_sock_protocol(client), client_proto);
	/* 6.1 hands a TCP socket to an MPTCP listener's accept on fallback */
	kt_note("client socket %s, accepted socket %s",
		kt_sock_protocol(client) == KT_MPTCP ? "MPTCP" : "TCP",
		kt_sock_protocol(server) == KT_MPTCP ? "MPTCP" : "TCP");
	kt_tls_both(client, server, v);
	kt_transfer(client, server, bytes(), 11, true);
	close(client);
	close(server);
}

KT_TEST_V(fallback_mptcp_client_to_tcp_server, 120)
{
	duplex_over(variant, AF_INET, KT_MPTCP, AF_INET, KT_TCP, NULL, NULL);
}

KT_TEST_V(fallback_tcp_client_to_mptcp_server, 120)
{
	duplex_over(variant, AF_INET, KT_TCP, AF_INET, KT_MPTCP, NULL, NULL);
}

KT_TEST_V(ipv6_loopback, 120)
{
	duplex_over(variant, AF_INET6, KT_MPTCP, AF_INET6, KT_MPTCP, "::1", "::1");
}

KT_TEST_V(ipv6_fallback_mptcp_client_to_tcp_server, 120)
{
	duplex_over(variant, AF_INET6, KT_MPTCP, AF_INET6, KT_TCP, "::1", "::1");
}

/* An IPv6 listener on :: accepting an IPv4 client: the msk is an IPv6 one. */
KT_TEST_V(ipv4_client_on_dual_stack_ipv6_listener, 120)
{
	duplex_over(variant, AF_INET, KT_MPTCP, AF_INET6, KT_MPTCP, "::", "127.0.0.1");
}

/* Stock kTLS on TCP and mptls on MPTCP, at the same time, unaffected. */
KT_TEST_V(stock_tcp_ktls_side_by_side, 120)
{
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (!pid) {
		duplex_over(variant, AF_INET, KT_TCP, AF_INET, KT_TCP, NULL, NULL);
		_exit(0);
	}
	duplex_over(variant, AF_INET, KT_MPTCP, AF_INET, KT_MPTCP, NULL, NULL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		kt_fail("the TCP transfer failed (status %#x)", status);
}
