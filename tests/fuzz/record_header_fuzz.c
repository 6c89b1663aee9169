// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the record header checks the module runs on every
 * record it receives (kernel/record.h, compiled here unchanged).  The input is
 * a byte stream as a peer would send it; the first byte picks the protection
 * (TLS 1.2 or 1.3, with or without explicit nonce), the rest is cut into
 * records the way rx.c does.  Invariants, on any input:
 *   - only the three documented errnos come out;
 *   - an accepted record is at least header + overhead and at most
 *     mptls_record_max_len() long, the size rx.c allocates;
 *   - the parser reads the 5 header bytes and nothing else.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static const struct mptls_record_limits limits[] = {
	{ .overhead = 16 + 8, .tail = 0 },	/* TLS 1.2 AES-GCM/CCM */
	{ .overhead = 16, .tail = 0 },		/* TLS 1.2 ChaCha20-Poly1305 */
	{ .overhead = 16, .tail = 1 },		/* TLS 1.3, every cipher */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mptls_record_limits *lim;
	size_t off = 1;

	if (!size)
		return 0;
	lim = &limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];

	while (size - off >= MPTLS_HEADER_SIZE) {
		/* a private copy, so ASan catches a read past the header */
		unsigned char *hdr = malloc(MPTLS_HEADER_SIZE);
		unsigned int len = 0;
		int err;

		memcpy(hdr, data + off, MPTLS_HEADER_SIZE);
		err = mptls_record_parse_header(hdr, lim, &len);
		free(hdr);
		if (err) {
			if (err != -EMSGSIZE && err != -EBADMSG && err != -EINVAL)
				abort();
			return 0;	/* the stream is dead, as in the module */
		}
		if (len < MPTLS_HEADER_SIZE + lim->overhead || len > mptls_record_max_len(lim))
			abort();
		if (len > size - off)
			return 0;	/* incomplete: the module would wait */
		off += len;
	}
	return 0;
}
