/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (gcc -include) into the kTLS selftest when
 * tests/conformance/build has to repair Debian's half-applied backport of the
 * rekey tests (linux-source-6.1 and linux-source-6.12 as of this writing):
 * the rekey tests and recvmsg_nopad_retry_iov call
 * tls_crypto_info_init(version, cipher, keys, key_generation) while the
 * helper itself still takes three arguments, and older calls use three.
 *
 * The build renames the helper's definition to tls_crypto_info_init_gen(),
 * gives it the fourth parameter (the byte its key material is filled with,
 * so that two generations get different keys) and this macro sends both
 * forms of call there, three-argument calls with generation 0 (the keys the
 * unpatched helper produced: all zeroes).
 */
#ifndef MPTLS_TLS_COMPAT_H
#define MPTLS_TLS_COMPAT_H

#define mptls_tcii_pick(version, cipher, keys, generation, ...) \
	tls_crypto_info_init_gen(version, cipher, keys, generation)
#define tls_crypto_info_init(...) mptls_tcii_pick(__VA_ARGS__, 0, 0)

#endif
