/**
 * WorkQueue on a database table (the embedded default and the PostgreSQL server alike):
 * receive() claims visible jobs with FOR UPDATE SKIP LOCKED, so workers never wait on each
 * other, and hides them until visible_at. Senders NOTIFY; workers LISTEN and also wake when
 * the next hidden job becomes visible.
 */
import type { Db } from '../../db/handle';
import { backoffMs, type DeadJob, type Job, type SendOptions, type WorkQueue } from '../../ports/work-queue';

const CHANNEL = 'queue_jobs';

interface JobRow {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

export class DbWorkQueue implements WorkQueue {
  constructor(
    private readonly db: Db,
    private readonly defaults: { maxAttempts: number } = { maxAttempts: 5 },
  ) {}

  async send(queue: string, payload: unknown, options: SendOptions = {}): Promise<void> {
    await this.db.query(
      `INSERT INTO queue.jobs (queue, payload, dedupe_key, max_attempts, visible_at)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')
       ON CONFLICT (queue, dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL DO NOTHING`,
      [queue, JSON.stringify(payload), options.dedupeKey ?? null, options.maxAttempts ?? this.defaults.maxAttempts, options.delayMs ?? 0],
    );
    this.db.notify(CHANNEL, queue);
  }

  async receive<T>(queue: string, options: { max: number; visibilityMs: number }): Promise<Job<T>[]> {
    const rows = await this.db.query<JobRow>(
      `UPDATE queue.jobs j SET attempts = j.attempts + 1, visible_at = now() + $3 * interval '1 millisecond', updated_at = now()
       FROM (SELECT id FROM queue.jobs WHERE queue = $1 AND state = 'pending' AND visible_at <= now()
             ORDER BY visible_at LIMIT $2 FOR UPDATE SKIP LOCKED) picked
       WHERE j.id = picked.id
       RETURNING j.id, j.queue, j.payload, j.attempts, j.max_attempts`,
      [queue, options.max, options.visibilityMs],
    );
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      payload: r.payload as T,
      attempt: r.attempts,
      maxAttempts: r.max_attempts,
      receipt: String(r.attempts),
    }));
  }

  async extend(job: Job, visibilityMs: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE queue.jobs SET visible_at = now() + $3 * interval '1 millisecond', updated_at = now()
       WHERE id = $1 AND attempts = $2 AND state = 'pending' RETURNING id`,
      [job.id, Number(job.receipt), visibilityMs],
    );
    return rows.length === 1;
  }

  async ack(job: Job): Promise<void> {
    await this.db.query(`DELETE FROM queue.jobs WHERE id = $1 AND attempts = $2`, [job.id, Number(job.receipt)]);
  }

  async fail(job: Job, error: string, options: { dead?: boolean } = {}): Promise<'retry' | 'dead'> {
    const dead = options.dead === true || job.attempt >= job.maxAttempts;
    await this.db.query(
      `UPDATE queue.jobs SET state = $3, visible_at = now() + $4 * interval '1 millisecond', last_error = $5, updated_at = now()
       WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
      [job.id, Number(job.receipt), dead ? 'dead' : 'pending', dead ? 0 : backoffMs(job.attempt), error.slice(0, 2000)],
    );
    if (!dead) this.db.notify(CHANNEL, job.queue);
    return dead ? 'dead' : 'retry';
  }

  async deadLetters(queue: string, limit: number): Promise<DeadJob[]> {
    return this.db.query<DeadJob>(
      `SELECT id, queue, payload, attempts, last_error, created_at, updated_at FROM queue.jobs
       WHERE queue = $1 AND state = 'dead' ORDER BY id LIMIT $2`,
      [queue, limit],
    );
  }

  async retryDead(id: string): Promise<boolean> {
    const rows = await this.db.query<{ queue: string }>(
      `UPDATE queue.jobs SET state = 'pending', attempts = 0, visible_at = now(), last_error = NULL, updated_at = now()
       WHERE id = $1 AND state = 'dead' RETURNING queue`,
      [id],
    );
    if (rows[0]) this.db.notify(CHANNEL, rows[0].queue);
    return rows.length === 1;
  }

  async subscribe(queue: string, wake: () => void): Promise<() => Promise<void>> {
    return this.db.listen(CHANNEL, (payload) => {
      if (payload === queue || payload === '') wake();
    });
  }

  /** Milliseconds until the next hidden job of `queue` becomes visible (undefined: none pending). */
  async nextVisibleInMs(queue: string): Promise<number | undefined> {
    const rows = await this.db.query<{ ms: number | null }>(
      // greatest() ignores NULL: without the CASE an empty queue would read as "visible now".
      `SELECT CASE WHEN min(visible_at) IS NULL THEN NULL ELSE greatest(0, extract(epoch FROM min(visible_at) - now()) * 1000)::float8 END AS ms
       FROM queue.jobs WHERE queue = $1 AND state = 'pending'`,
      [queue],
    );
    return rows[0]?.ms ?? undefined;
  }
}
