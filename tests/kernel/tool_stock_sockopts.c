// SPDX-License-Identifier: MIT
/*
 * Prints the stock kernel's answers to the probes of sockopt_probe.h, one
 * "key result" line each.  Run it before mptls is loaded.
 */
#include <stdio.h>

#include "sockopt_probe.h"

int main(void)
{
	struct kt_probe probes[32];
	size_t i, n = kt_probe_sockopts(probes, 32);

	for (i = 0; i < n; i++)
		printf("%s %s\n", probes[i].key, probes[i].result);
	return 0;
}
