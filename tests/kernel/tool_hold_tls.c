// SPDX-License-Identifier: MIT
/*
 * Keeps kTLS MPTCP sockets open for tests/vm/kernel_module_ref.sh: a
 * loopback pair with TLS both ways (tls13_aes128gcm) and one more socket
 * with only TCP_ULP "tls" and no keys.  Prints "ready", then for each line
 * "talk" on stdin moves a few KiB each way and prints "talked"; closes
 * everything and exits at EOF.
 */
#include <unistd.h>

#include "ktls.h"

int main(void)
{
	const struct kt_variant *v = kt_variant_by_name("tls13_aes128gcm");
	struct kt_pair p, bare;
	char line[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);
	kt_pair_open(&bare, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_set_ulp(bare.client);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "talk", 4))
			continue;
		kt_transfer(p.client, p.server, 8192, 5, true);
		/* kt_transfer shut both down for writing: a new pair for next time */
		kt_pair_close(&p);
		kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
		kt_tls_both(p.client, p.server, v);
		printf("talked\n");
	}
	kt_pair_close(&p);
	kt_pair_close(&bare);
	return 0;
}
