/* SPDX-License-Identifier: MIT */
/*
 * What every kernel test needs: kTLS configuration per variant, socket pairs
 * over MPTCP or TCP, the deterministic data stream, counters, transfers.
 * All helpers assert (end the test) on unexpected failures.
 */
#ifndef KT_KTLS_H
#define KT_KTLS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <linux/tls.h>

#include "harness.h"

#include "mptls_uapi_compat.h"

/* Big enough for every uapi tls12_crypto_info_* struct. */
union kt_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

/*
 * Fills @ci for @v with key material derived from @key_id (two ends that use
 * the same id can talk); returns the optlen the kernel expects.
 */
size_t kt_crypto_info(const struct kt_variant *v, int key_id, union kt_crypto_info *ci);

/* Key ids: one per direction, so a reflected record never authenticates. */
enum { KT_KEY_C2S = 1, KT_KEY_S2C = 2 };

void kt_set_ulp(int fd);
void kt_set_tls(int fd, int dir /* TLS_TX or TLS_RX */, const struct kt_variant *v, int key_id);
/* Client TX/server RX with KT_KEY_C2S, server TX/client RX with KT_KEY_S2C. */
void kt_tls_both(int client, int server, const struct kt_variant *v);

/* Socket pairs over loopback (or @addr when given). */
struct kt_pair {
	int client, server;
};
enum kt_proto { KT_MPTCP = IPPROTO_MPTCP, KT_TCP = IPPROTO_TCP };
int kt_listen(int family, int proto, const char *addr, uint16_t *port);
int kt_connect(int family, int proto, const char *addr, uint16_t port);
void kt_pair_open(struct kt_pair *p, int family, int client_proto, int server_proto);
void kt_pair_close(struct kt_pair *p);
/* The socket's protocol (SO_PROTOCOL): tells an MPTCP socket from a TCP one. */
int kt_sock_protocol(int fd);

/* The data stream: byte at offset o of stream @seed, reproducible anywhere. */
void kt_stream_fill(uint64_t seed, uint64_t off, void *buf, size_t len);
/* Offset of the first byte that differs, or -1 when all match. */
int64_t kt_stream_check(uint64_t seed, uint64_t off, const void *buf, size_t len);
/* A small deterministic PRNG for write sizes and the like. */
uint64_t kt_rand(uint64_t *state);

void kt_send_all(int fd, const void *buf, size_t len);
/* Sends @len bytes as one record of content @type (TLS_SET_RECORD_TYPE). */
void kt_send_record_type(int fd, unsigned char type, const void *buf, size_t len);
void kt_recv_exact(int fd, void *buf, size_t len);

/* Stream @seed: @size bytes sent in varied writes, then shutdown(SHUT_WR). */
void kt_send_stream(int fd, uint64_t size, uint64_t seed);
/* Receives stream @seed in varied reads up to EOF; every byte checked, EOF at @size. */
void kt_recv_stream(int fd, uint64_t size, uint64_t seed);

/*
 * Sends @size bytes of stream @seed on @tx (write sizes vary) while a thread
 * receives them on @rx and checks every byte (read sizes vary).  With
 * @duplex the opposite direction runs at the same time with seed + 1.
 * Ends with both ends shut down for writing and EOF seen.
 */
void kt_transfer(int tx, int rx, uint64_t size, uint64_t seed, bool duplex);

/* /proc/net/mptls_stat (or tls_stat with @file): the counter, -1 if absent. */
long kt_stat(const char *file, const char *name);
#define kt_mptls_stat(name) kt_stat("/proc/net/mptls_stat", name)

/* An env var as a size in bytes (K/M/G suffixes), @def when unset. */
uint64_t kt_env_size(const char *name, uint64_t def);

#endif
