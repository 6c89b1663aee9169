// SPDX-License-Identifier: MIT
/*
 * The parts of harness.h that tools share with tests: variants, registration,
 * failing and skipping.  The runner is harness_main.c.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/tls.h>

#include "harness.h"

const struct kt_variant kt_variants[] = {
	{ "tls12_aes128gcm", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ "tls12_aes256gcm", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256 },
	{ "tls12_chacha20", TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
	{ "tls12_aes128ccm", TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128 },
	{ "tls13_aes128gcm", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128 },
	{ "tls13_aes256gcm", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 },
	{ "tls13_chacha20", TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305 },
	{ "tls13_aes128ccm", TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128 },
};
const size_t kt_nvariants = sizeof(kt_variants) / sizeof(kt_variants[0]);

struct kt_test *kt_head;
static struct kt_test **kt_tail = &kt_head;

void kt_register(struct kt_test *t)
{
	/* constructors run in file order: keep it, so TAP follows the source */
	*kt_tail = t;
	kt_tail = &t->next;
}

void kt_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(1);
}

void kt_skip(const char *fmt, ...)
{
	va_list ap;

	printf("#   skip: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(KT_EXIT_SKIP);
}

void kt_note(const char *fmt, ...)
{
	va_list ap;

	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

const struct kt_variant *kt_variant_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kt_variants) / sizeof(kt_variants[0]); i++)
		if (!strcmp(kt_variants[i].name, name))
			return &kt_variants[i];
	kt_fail_at(__FILE__, __LINE__, "no variant %s", name);
}
