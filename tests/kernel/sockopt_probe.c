// SPDX-License-Identifier: MIT
/* The probes of sockopt_probe.h, on fresh MPTCP sockets over loopback. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "ktls.h"
#include "sockopt_probe.h"

static void put_errno(struct kt_probe *p, const char *key, int ret)
{
	p->key = key;
	if (ret)
		snprintf(p->result, sizeof(p->result), "errno %d", errno);
	else
		snprintf(p->result, sizeof(p->result), "ok");
}

static void set_ulp_probe(struct kt_probe *p, const char *key, int fd, const char *name)
{
	put_errno(p, key, setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name) + 1));
}

size_t kt_probe_sockopts(struct kt_probe *out, size_t max)
{
	union kt_crypto_info ci;
	struct kt_pair pair;
	char name[32] = "";
	socklen_t len;
	size_t n = 0;
	uint16_t port = 0;
	int fd, lfd, ret;

	if (max < 12)
		kt_fail("probe table too small");

	/* A fresh connected socket for each option that could change it. */
	kt_pair_open(&pair, AF_INET, KT_MPTCP, KT_MPTCP);
	set_ulp_probe(&out[n++], "ulp_mptcp_connected", pair.client, "mptcp");
	set_ulp_probe(&out[n++], "ulp_bogus_connected", pair.client, "bogus");
	set_ulp_probe(&out[n++], "ulp_empty_connected", pair.client, "");
	kt_crypto_info(&kt_variants[0], 1, &ci);
	put_errno(&out[n++], "set_sol_tls_tx_without_ulp",
		  setsockopt(pair.client, SOL_TLS, TLS_TX, &ci, sizeof(ci.aes_gcm_128)));

	len = sizeof(name);
	ret = getsockopt(pair.client, SOL_TCP, TCP_ULP, name, &len);
	out[n].key = "get_tcp_ulp_without_ulp";
	if (ret)
		snprintf(out[n].result, sizeof(out[n].result), "errno %d", errno);
	else
		snprintf(out[n].result, sizeof(out[n].result), "ok optlen %u %.16s", len, name);
	n++;
	kt_pair_close(&pair);

	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	set_ulp_probe(&out[n++], "ulp_mptcp_unconnected", fd, "mptcp");
	set_ulp_probe(&out[n++], "ulp_bogus_unconnected", fd, "bogus");
	close(fd);

	lfd = kt_listen(AF_INET, KT_MPTCP, NULL, &port);
	set_ulp_probe(&out[n++], "ulp_mptcp_listener", lfd, "mptcp");
	set_ulp_probe(&out[n++], "ulp_bogus_listener", lfd, "bogus");
	close(lfd);
	return n;
}
