/** Dead letters: events a consumer gave up on. The admin lists them and retries them here. */
import type { Db } from '../db/handle';
import type { BatchHandler } from '../ports/event-log';
import { decodeCursor, isUuid, toPage } from '../shared/cursor';
import { unavailableDependency } from '../shared/dependency';
import { AppError, notFound } from '../shared/errors';
import type { LoggedEvent } from './envelope';

export interface DeadLetter {
  id: string;
  consumer: string;
  event: LoggedEvent;
  attempts: number;
  error: string;
  created_at: Date;
  retried_at: Date | null;
}

const SELECT = `
  SELECT d.id, d.consumer, d.attempts, d.error, d.created_at, d.retried_at,
         json_build_object('seq', e.seq, 'tx_id', e.tx_id::text, 'id', e.id, 'type', e.type, 'tenant_id', e.tenant_id,
                           'key', e.key, 'occurred_at', e.occurred_at, 'data', e.data) AS event
  FROM oms.dead_letters d JOIN oms.events e ON e.seq = d.event_seq`;

export class DeadLetters {
  constructor(
    private readonly db: Db,
    private readonly consumers: ReadonlyMap<string, BatchHandler>,
  ) {}

  async list(query: { consumer?: string; limit: number; cursor?: string }) {
    const rows = await this.db.query<DeadLetter>(
      `${SELECT} WHERE ($1::text IS NULL OR d.consumer = $1) AND ($2::uuid IS NULL OR d.id > $2::uuid) ORDER BY d.id LIMIT $3`,
      [query.consumer ?? null, decodeCursor(query.cursor) ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, (r) => r.id);
  }

  /**
   * Retries a consumer's parked events that were never retried, oldest first (the finalizer's
   * sweep calls it: an order whose creation was parked must not stay on_hold for good). One
   * that has failed `maxAttempts` times in all stays parked for someone to look at. Answers how
   * many succeeded.
   */
  async retryParked(consumer: string, options: { limit: number; maxAttempts: number }): Promise<number> {
    const parked = await this.db.query<{ id: string }>(
      'SELECT id FROM oms.dead_letters WHERE consumer = $1 AND retried_at IS NULL AND attempts < $2 ORDER BY id LIMIT $3',
      [consumer, options.maxAttempts, options.limit],
    );
    let succeeded = 0;
    for (const { id } of parked) {
      try {
        await this.retry(id);
        succeeded++;
      } catch (error) {
        if (!(error instanceof AppError)) throw error; // a dependency is away: the next sweep tries again
      }
    }
    return succeeded;
  }

  /** Runs the consumer's handler on the event once more; marks it retried when that succeeds. */
  async retry(id: string): Promise<DeadLetter> {
    const [letter] = isUuid(id) ? await this.db.query<DeadLetter>(`${SELECT} WHERE d.id = $1`, [id]) : [];
    if (!letter) throw notFound('Dead letter', id);
    const handler = this.consumers.get(letter.consumer);
    if (!handler) throw new AppError(409, 'event.consumer_not_running', { consumer: letter.consumer });
    const event = { ...letter.event, occurred_at: new Date(letter.event.occurred_at) };
    try {
      await handler([event]);
    } catch (error) {
      if (unavailableDependency(error)) throw error; // an outage is not the event's failure: not counted
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      await this.db.query('UPDATE oms.dead_letters SET attempts = attempts + 1, error = $2 WHERE id = $1', [id, message]);
      throw new AppError(409, 'event.retry_failed', { error: message.slice(0, 300) });
    }
    const [done] = await this.db.query<DeadLetter>(
      `WITH d AS (UPDATE oms.dead_letters SET retried_at = now() WHERE id = $1 RETURNING *)
       ${SELECT.replace('FROM oms.dead_letters d', 'FROM d')}`,
      [id],
    );
    return done!;
  }
}
