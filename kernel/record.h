/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS record header checks and the KeyUpdate scan, shared by the module
 * (rx.c) and the userspace fuzzers (tests/fuzz), so the code that is fuzzed
 * is the code that runs.  It must stay free of kernel-only dependencies:
 * plain C on byte buffers.
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

/*
 * TLS 1.3 KeyUpdate (RFC 8446 §4.6.3) on RX.  Handshake messages (a type
 * byte and a 24-bit length, §4) may share a record or span records, so the
 * handshake records' plaintext is followed as one stream of messages: a
 * KeyUpdate is found wherever it sits, where net/tls looks at a record's
 * first byte only.
 */
#define MPTLS_TYPE_HANDSHAKE	22
#define MPTLS_HS_KEY_UPDATE	24
#define MPTLS_HS_HEADER_SIZE	4

struct mptls_hs_scan {
	unsigned int body_left;			/* of the message being passed over */
	unsigned char hdr[MPTLS_HS_HEADER_SIZE];	/* the next message's header */
	unsigned char hdr_have;
};

/*
 * Feeds one handshake record's plaintext to @s.  Returns 1 when a KeyUpdate
 * message starts in it, else 0.  Any input is valid: a peer that lies about
 * lengths only makes the scan skip more.
 */
static inline int mptls_hs_scan_key_update(struct mptls_hs_scan *s,
					   const unsigned char *p, unsigned int len)
{
	int seen = 0;

	while (len) {
		if (s->body_left) {
			unsigned int n = len < s->body_left ? len : s->body_left;

			p += n;
			len -= n;
			s->body_left -= n;
			continue;
		}
		s->hdr[s->hdr_have++] = *p++;
		len--;
		if (s->hdr_have < MPTLS_HS_HEADER_SIZE)
			continue;
		s->hdr_have = 0;
		if (s->hdr[0] == MPTLS_HS_KEY_UPDATE)
			seen = 1;
		s->body_left = ((unsigned int)s->hdr[1] << 16) |
			       ((unsigned int)s->hdr[2] << 8) | s->hdr[3];
	}
	return seen;
}

/* Largest record the parser accepts, for buffer sizing. */
static inline unsigned int mptls_record_max_len(const struct mptls_record_limits *lim)
{
	return MPTLS_HEADER_SIZE + MPTLS_MAX_PLAINTEXT + lim->overhead + lim->tail;
}

#endif
