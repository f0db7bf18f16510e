/**
 * How every EventLog engine runs a consumer's handler on a batch: the whole batch at once;
 * on failure, event by event with retries and backoff; an event that keeps failing is parked
 * in oms.dead_letters for that consumer, and the consumer moves on (one poison event never
 * stops the others). The handler must be idempotent: a batch may come again after a crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/handle';
import type { BatchHandler } from '../ports/event-log';
import { outageBackoffMs, unavailableDependency } from '../shared/dependency';
import type { LoggedEvent } from './envelope';

export interface RetryOptions {
  maxAttempts: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs: (attempt: number) => number;
  onError: (error: unknown, context: Record<string, unknown>) => void;
  /** True once the consumer is stopping: an outage is no longer waited out (the batch comes again at the next start). */
  isStopping?: () => boolean;
}

/** An event's own failures back off 1 s, 2 s, 4 s…: with 5 attempts it is parked after about 15 s of trying. */
export const defaultBackoffMs = (attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 60_000);

/**
 * Runs `handler` on `events` until it succeeds or fails for a reason of its own. A dependency
 * that is away (the database restarting) is waited out: such failures are not the events'
 * fault and do not count towards parking them.
 */
async function outlastingOutages(group: string, events: LoggedEvent[], run: () => Promise<void>, options: RetryOptions): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      return await run();
    } catch (error) {
      const dependency = unavailableDependency(error);
      if (!dependency || options.isStopping?.()) throw error;
      if (tries % 10 === 0) options.onError(error, { group, events: events.length, dependency, waiting: true });
      await sleep(outageBackoffMs(tries, 10_000)); // never counted, never parked
    }
  }
}

export async function handleWithRetries(db: Db, group: string, handler: BatchHandler, events: LoggedEvent[], options: RetryOptions): Promise<void> {
  try {
    await outlastingOutages(group, events, () => handler(events), options);
    return;
  } catch (error) {
    if (events.length === 1) options.onError(error, { group, event: events[0]!.id, attempt: 1 });
  }
  for (const event of events) {
    for (let attempt = events.length === 1 ? 2 : 1; ; attempt++) {
      try {
        await outlastingOutages(group, [event], () => handler([event]), options);
        break;
      } catch (error) {
        options.onError(error, { group, event: event.id, attempt });
        if (attempt >= options.maxAttempts) {
          await outlastingOutages(group, [event], () => park(db, group, event, attempt, error), options);
          break;
        }
        await sleep(options.backoffMs(attempt));
      }
    }
  }
}

async function park(db: Db, group: string, event: LoggedEvent, attempts: number, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await db.query('INSERT INTO oms.dead_letters (consumer, event_seq, attempts, error) VALUES ($1, $2, $3, $4)', [
    group,
    event.seq,
    attempts,
    message.slice(0, 2000),
  ]);
}
