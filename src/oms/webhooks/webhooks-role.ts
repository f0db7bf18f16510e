/** Runs the webhooks role: the event-log consumer that creates dispatches, and the sender loop. */
import type { AppContext } from '../../context';
import type { RunningRole } from '../../shared/running-role';
import { WEBHOOKS_GROUP } from './dispatches';
import { WebhookDispatcher } from './dispatcher';
import { WebhookSender, type Resolver } from './sender';

export interface WebhooksRoleOptions {
  timeoutMs?: number;
  leaseMs?: number;
  resolve?: Resolver;
}

export async function startWebhooks(ctx: AppContext, options: WebhooksRoleOptions = {}): Promise<RunningRole> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = 32;
  const sender = new WebhookSender({
    allowPrivateNetworks: ctx.config.webhookAllowPrivateNetworks,
    timeoutMs,
    // As many connections to one receiver as sends in flight: none waits in the agent's queue.
    connections: concurrency,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const dispatcher = new WebhookDispatcher(ctx.db, sender, {
    schedule: ctx.config.webhookRetrySchedule,
    concurrency,
    leaseMs: options.leaseMs ?? timeoutMs + 30_000,
    logger: ctx.logger,
    status: ctx.loops.loop('webhooks:dispatch'),
  });
  const subscription = ctx.events.subscribe(WEBHOOKS_GROUP, dispatcher.handle);
  dispatcher.start();
  return {
    async drain() {
      await subscription.drain();
      await dispatcher.drainDue();
    },
    async stop() {
      await subscription.stop();
      await dispatcher.stop();
      await sender.close();
    },
  };
}
