// SPDX-License-Identifier: GPL-2.0
/*
 * Record buffers.  One record is up to 16 KiB of plaintext plus header,
 * nonce and tag: about 20 KiB, an order-3 allocation when linear.
 *
 *  - Charged to the caller's memory cgroup (GFP_KERNEL_ACCOUNT): a socket
 *    holds them on behalf of the process that owns it, as it holds skbs.
 *  - kvmalloc: physically contiguous when the page allocator has it, else
 *    virtually contiguous, so a fragmented host degrades instead of failing
 *    a read or a send with ENOMEM.
 *  - mptls_buf_sg() maps either kind for the crypto API, which wants pages.
 *  - Freed wiped: they hold plaintext and keys' work.
 */
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mptls.h"

void *mptls_buf_alloc(size_t size)
{
	return kvmalloc(size, GFP_KERNEL_ACCOUNT);
}

void mptls_buf_free(void *buf, size_t wipe_len)
{
	if (!buf)
		return;
	memzero_explicit(buf, wipe_len);
	kvfree(buf);
}

/*
 * Maps @len bytes at @buf into @sg from entry 0, at most @nents entries.
 * Returns the entries used, or -EINVAL if @sg is too short.
 */
int mptls_buf_sg(struct scatterlist *sg, int nents, void *buf, unsigned int len)
{
	unsigned int off, chunk;
	int n = 0;

	if (!is_vmalloc_addr(buf)) {
		sg_set_buf(sg, buf, len);
		return 1;
	}
	for (off = 0; off < len; off += chunk) {
		void *p = buf + off;

		if (n == nents)
			return -EINVAL;
		chunk = min_t(unsigned int, len - off, PAGE_SIZE - offset_in_page(p));
		sg_set_page(&sg[n++], vmalloc_to_page(p), chunk, offset_in_page(p));
	}
	return n;
}
