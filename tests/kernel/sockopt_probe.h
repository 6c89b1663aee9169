/* SPDX-License-Identifier: MIT */
/*
 * The socket-option answers of an MPTCP socket that mptls must leave as the
 * stock kernel gives them (other ULP names, SOL_TLS without the ULP, ...).
 * tool_stock_sockopts prints them before mptls is loaded; sockopt_test asks
 * again with mptls loaded and compares, key by key.
 */
#ifndef KT_SOCKOPT_PROBE_H
#define KT_SOCKOPT_PROBE_H

#include <stddef.h>

struct kt_probe {
	const char *key;
	char result[96];	/* "errno 95" or "ok optlen 5 mptcp" */
};

/* Fills @out (up to @max entries) with the answers of this kernel; returns the count. */
size_t kt_probe_sockopts(struct kt_probe *out, size_t max);

#endif
