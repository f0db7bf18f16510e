/**
 * How every EventLog engine runs a consumer's handler on a batch: the whole batch at once;
 * on failure, event by event with retries and backoff; an event that keeps failing is parked
 * in oms.dead_letters for that consumer, and the consumer moves on (one poison event never
 * stops the others). The handler must be idempotent: a batch may come again after a crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/handle';
import type { BatchHandler } from '../ports/event-log';
import type { LoggedEvent } from './envelope';

export interface RetryOptions {
  maxAttempts: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs: (attempt: number) => number;
  onError: (error: unknown, context: Record<string, unknown>) => void;
}

export const defaultBackoffMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 10_000);

export async function handleWithRetries(db: Db, group: string, handler: BatchHandler, events: LoggedEvent[], options: RetryOptions): Promise<void> {
  try {
    await handler(events);
    return;
  } catch (error) {
    if (events.length === 1) options.onError(error, { group, event: events[0]!.id, attempt: 1 });
  }
  for (const event of events) {
    for (let attempt = events.length === 1 ? 2 : 1; ; attempt++) {
      try {
        await handler([event]);
        break;
      } catch (error) {
        options.onError(error, { group, event: event.id, attempt });
        if (attempt >= options.maxAttempts) {
          await park(db, group, event, attempt, error);
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
