// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the TLS 1.3 KeyUpdate scan the module runs on every
 * handshake record it opens (kernel/record.h mptls_hs_scan_key_update(),
 * compiled here unchanged).  The input is a stream of handshake messages
 * as a peer would send it; its first byte seeds where the stream is cut
 * into records, as records may cut messages anywhere.  Invariants:
 *   - the records that report a KeyUpdate are exactly those in which a
 *     KeyUpdate message's type byte sits, as a plain walk over the whole
 *     stream finds them: cutting the stream changes nothing;
 *   - the scan reads each byte once and never outside a record.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mptls_hs_scan scan = { 0 };
	unsigned int seed, off, i;
	unsigned char *type_at;
	size_t len;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	len = size - 1;

	/* the reference: message type bytes found by walking the whole stream */
	type_at = calloc(len + 1, 1);
	if (!type_at)
		return 0;
	for (off = 0; off + MPTLS_HS_HEADER_SIZE <= len;) {
		uint64_t body = ((uint64_t)data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3];

		if (data[off] == MPTLS_HS_KEY_UPDATE)
			type_at[off] = 1;
		off += MPTLS_HS_HEADER_SIZE + body;
		if (off > len)
			break;
	}

	/* the stream cut into records of 1..64 bytes, each copied to its own buffer */
	for (off = 0; off < len;) {
		unsigned int rec_len = 1 + (seed = seed * 1103515245u + 12345u) % 64;
		unsigned char *rec;
		int want = 0;

		if (rec_len > len - off)
			rec_len = len - off;
		rec = malloc(rec_len);
		if (!rec)
			break;
		memcpy(rec, data + off, rec_len);
		/* a KeyUpdate counts where its header ends: all 4 bytes are in */
		for (i = 0; i < rec_len; i++)
			if (off + i >= MPTLS_HS_HEADER_SIZE - 1 &&
			    type_at[off + i - (MPTLS_HS_HEADER_SIZE - 1)])
				want = 1;
		if (mptls_hs_scan_key_update(&scan, rec, rec_len) != want)
			abort();
		free(rec);
		off += rec_len;
	}
	free(type_at);
	return 0;
}
