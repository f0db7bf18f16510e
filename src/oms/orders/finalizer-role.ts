/**
 * Runs the finalizer role: consumes order events (creations to reserve; shipments, cancelled
 * deliveries and returns to settle in IMS), and retries held orders when IMS announces
 * that stock rose (NOTIFY), with a periodic sweep as the safety net for a missed signal and for
 * its own parked events.
 */
import type { AppContext } from '../../context';
import type { RunningRole } from '../../shared/running-role';
import { parseStockRaised, STOCK_RAISED_CHANNEL } from '../../shared/stock-raised';
import { FINALIZER_EVENTS, FINALIZER_GROUP } from './finalizer';

/** Attempts in all (parking included) after which the sweep leaves a parked event alone. */
const PARKED_ATTEMPTS = 20;

export async function startFinalizer(ctx: AppContext, options: { sweepMs?: number } = {}): Promise<RunningRole> {
  const finalizer = ctx.oms.finalizer;
  // Creations start its work; shipments, cancelled deliveries, returns, and held orders cancelled
  // or deleted move stock in IMS (fulfilment/settlements.ts): one group, so the log is walked once
  // for both. The rest of the log passes by without being read whole.
  const subscription = ctx.events.subscribe(FINALIZER_GROUP, ctx.oms.finalizerHandler, { types: [...FINALIZER_EVENTS] });

  // Held-order retries run one at a time, in the order the signals came.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = (work: () => Promise<unknown>) => {
    queue = queue.then(work).catch((error: unknown) => ctx.logger.error({ err: error }, 'retrying held orders failed'));
  };
  const unlisten = await ctx.db.listen(STOCK_RAISED_CHANNEL, (payload) => {
    const notice = parseStockRaised(payload);
    if (notice) {
      finalizer.stockRaised(notice.tenant_id, notice.sku_ids);
      enqueue(() => finalizer.retryHeld(notice.tenant_id, notice.hub_id, notice.sku_ids));
    }
    // An empty payload: the LISTEN session was lost and is back, and what it missed is unknown.
    else if (payload === '') enqueue(() => finalizer.sweep());
  });
  // The sweep catches held orders whose stock signal was missed while no finalizer ran. It
  // waits until the event backlog is handled, so a backlog is reserved in batches, not one by one.
  // Its parked events are tried again too (each up to PARKED_ATTEMPTS times in all, then left
  // for an admin): an event parked during a long outage must not leave its order on_hold.
  const sweep = async () => {
    await ctx.deadLetters.retryParked(FINALIZER_GROUP, { limit: 100, maxAttempts: PARKED_ATTEMPTS });
    await finalizer.sweep();
  };
  enqueue(async () => {
    await subscription.drain();
    await sweep();
  });
  const sweeper = setInterval(() => enqueue(sweep), options.sweepMs ?? 60_000);
  sweeper.unref();

  return {
    async drain() {
      await subscription.drain();
      await queue;
    },
    async stop() {
      clearInterval(sweeper);
      await unlisten();
      await subscription.stop();
      await queue;
    },
  };
}
