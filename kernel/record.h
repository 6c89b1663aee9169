/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS record header checks, shared by the module (rx.c) and the userspace
 * fuzzer (tests/fuzz), so the code that is fuzzed is the code that runs.  It
 * must stay free of kernel-only dependencies: plain C on byte buffers.
 *
 * The rules and their errnos follow net/tls (tls_rx_msg_size) so that a peer
 * sees the same errors on MPTCP as on TCP:
 *   - a payload longer than 2^14 plus the cipher's overhead: EMSGSIZE;
 *   - a payload shorter than the cipher's overhead: EBADMSG;
 *   - an outer version other than 3.3 (TLS 1.2 and 1.3 both use it): EINVAL.
 */
#ifndef MPTLS_RECORD_H
#define MPTLS_RECORD_H

#define MPTLS_HEADER_SIZE	5
#define MPTLS_MAX_PLAINTEXT	(1U << 14)	/* RFC 8446 §5.1, RFC 5246 §6.2.1 */
#define MPTLS_VERSION_MAJOR	3
#define MPTLS_VERSION_MINOR	3
#define MPTLS_TYPE_APP_DATA	23	/* the outer type of every TLS 1.3 record */

/* What the parser needs to know about the negotiated protection. */
struct mptls_record_limits {
	unsigned int overhead;	/* explicit nonce (TLS 1.2 AES) + tag */
	unsigned int tail;	/* TLS 1.3 inner content type byte, else 0 */
};

/*
 * Checks a 5-byte record header.  On success stores the length of the whole
 * record, header included, and returns 0; otherwise returns a negative errno.
 */
static inline int mptls_record_parse_header(const unsigned char *hdr,
					    const struct mptls_record_limits *lim,
					    unsigned int *record_len)
{
	unsigned int data_len = ((unsigned int)hdr[3] << 8) | hdr[4];

	if (data_len > MPTLS_MAX_PLAINTEXT + lim->overhead + lim->tail)
		return -EMSGSIZE;
	if (data_len < lim->overhead)
		return -EBADMSG;
	if (hdr[1] != MPTLS_VERSION_MAJOR || hdr[2] != MPTLS_VERSION_MINOR)
		return -EINVAL;
	*record_len = MPTLS_HEADER_SIZE + data_len;
	return 0;
}

/* Largest record the parser accepts, for buffer sizing. */
static inline unsigned int mptls_record_max_len(const struct mptls_record_limits *lim)
{
	return MPTLS_HEADER_SIZE + MPTLS_MAX_PLAINTEXT + lim->overhead + lim->tail;
}

#endif
