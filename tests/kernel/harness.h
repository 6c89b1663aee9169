/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness in the spirit of the kernel's kselftest_harness.h (our
 * own code, not a copy): tests register themselves, each runs in a forked
 * child with a wall-clock timeout, and the runner prints TAP ("ok N - name").
 *
 * Two kinds of tests:
 *   KT_TEST(name, timeout_s)     runs once; `variant` is NULL inside
 *   KT_TEST_V(name, timeout_s)   runs once per TLS version x cipher variant
 *                                (tls12/tls13 x aes128gcm, aes256gcm,
 *                                chacha20, aes128ccm), named name/variant
 *
 * Inside a test, ASSERT_* stop it at the first failure with a "# file:line"
 * diagnostic; kt_skip() ends it as skipped.  A child that dies by a signal or
 * overruns its timeout fails, and the whole process group it started is
 * killed, so a hung peer never outlives its test.
 *
 * The binary takes -l (list), -t SUBSTR (only names containing SUBSTR; may be
 * repeated), and KT_VARIANTS="tls13_aes128gcm ..." narrows the variants.
 */
#ifndef KT_HARNESS_H
#define KT_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct kt_variant {
	const char *name;	/* tls13_aes128gcm */
	uint16_t version;	/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	uint16_t cipher;	/* TLS_CIPHER_* */
};

struct kt_test {
	const char *name;
	void (*fn)(const struct kt_variant *variant);
	bool per_variant;
	unsigned int timeout_s;
	struct kt_test *next;
};

#define KT_EXIT_SKIP 4	/* as kselftest's KSFT_SKIP */

extern const struct kt_variant kt_variants[];
extern const size_t kt_nvariants;
extern struct kt_test *kt_head;

void kt_register(struct kt_test *t);
void kt_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void kt_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* The variant named @name (tls13_aes128gcm...); ends the test if none. */
const struct kt_variant *kt_variant_by_name(const char *name);
void kt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KT_DEFINE(name_, timeout_, per_variant_)				\
	static void kt_fn_##name_(const struct kt_variant *variant);		\
	static struct kt_test kt_test_##name_ = {				\
		.name = #name_, .fn = kt_fn_##name_,				\
		.per_variant = per_variant_, .timeout_s = timeout_,		\
	};									\
	__attribute__((constructor)) static void kt_reg_##name_(void)		\
	{									\
		kt_register(&kt_test_##name_);					\
	}									\
	static void kt_fn_##name_(const struct kt_variant *variant __attribute__((unused)))

#define KT_TEST(name_, timeout_)	KT_DEFINE(name_, timeout_, false)
#define KT_TEST_V(name_, timeout_)	KT_DEFINE(name_, timeout_, true)

#define kt_fail(...) kt_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT_TRUE(cond)							\
	do {									\
		if (!(cond))							\
			kt_fail("expected %s (errno %d %s)", #cond, errno,	\
				strerror(errno));				\
	} while (0)

#define ASSERT_EQ(a, b)								\
	do {									\
		long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);	\
		if (kt_a_ != kt_b_)						\
			kt_fail("expected %s == %s, got %lld and %lld (errno %d %s)", \
				#a, #b, kt_a_, kt_b_, errno, strerror(errno));	\
	} while (0)

#define ASSERT_GE(a, b)								\
	do {									\
		long long kt_a_ = (long long)(a), kt_b_ = (long long)(b);	\
		if (kt_a_ < kt_b_)						\
			kt_fail("expected %s >= %s, got %lld and %lld",		\
				#a, #b, kt_a_, kt_b_);				\
	} while (0)

/* A system call that must succeed (return >= 0). */
#define ASSERT_OK(call)								\
	do {									\
		long kt_r_ = (long)(call);					\
		if (kt_r_ < 0)							\
			kt_fail("%s failed: %s", #call, strerror(errno));	\
	} while (0)

/* A system call that must fail with exactly @err. */
#define ASSERT_ERRNO(call, err)							\
	do {									\
		long kt_r_;							\
		errno = 0;							\
		kt_r_ = (long)(call);						\
		if (kt_r_ != -1 || errno != (err))				\
			kt_fail("%s: expected -1 errno %d (%s), got %ld errno %d (%s)", \
				#call, (err), strerror(err), kt_r_, errno,	\
				strerror(errno));				\
	} while (0)

#endif
