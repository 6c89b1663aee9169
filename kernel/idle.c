// SPDX-License-Identifier: GPL-2.0
/*
 * A connection that goes quiet gives its record buffers back.  Without this
 * every idle keep-alive connection would keep the TX record buffer and RX's
 * spare (20 KiB each with AES-GCM) where net/tls keeps next to nothing.
 *
 * Sends and reads mark the context active; MPTLS_IDLE_RELEASE after the last
 * mark, the work asks tx.c and rx.c to free whichever buffer holds no data,
 * each under its own lock.  The next send or record allocates again, so a
 * busy connection never pays for it and a quiet one pays one allocation.
 */
#include "mptls.h"

#define MPTLS_IDLE_RELEASE	(HZ / 5)

static void idle_work(struct work_struct *work)
{
	struct mptls_ctx *ctx = container_of(to_delayed_work(work),
					     struct mptls_ctx, idle_work);
	unsigned long quiet_at = READ_ONCE(ctx->last_active) + MPTLS_IDLE_RELEASE;

	if (time_before(jiffies, quiet_at)) {
		/* used again since it was armed: wait for the new quiet point */
		mod_delayed_work(system_wq, &ctx->idle_work, quiet_at - jiffies);
		return;
	}
	mptls_tx_release_idle(ctx);
	mptls_rx_release_idle(ctx);
}

void mptls_idle_init(struct mptls_ctx *ctx)
{
	INIT_DELAYED_WORK(&ctx->idle_work, idle_work);
}

/* After a send or a read that leaves a buffer behind. */
void mptls_idle_touch(struct mptls_ctx *ctx)
{
	WRITE_ONCE(ctx->last_active, jiffies);
	if (!delayed_work_pending(&ctx->idle_work))
		queue_delayed_work(system_wq, &ctx->idle_work, MPTLS_IDLE_RELEASE);
}

/*
 * Before the context is freed.  Only senders and readers arm the work, and
 * by then none is left: close runs when the last file reference is gone.
 */
void mptls_idle_stop(struct mptls_ctx *ctx)
{
	cancel_delayed_work_sync(&ctx->idle_work);
}
