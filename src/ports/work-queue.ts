/**
 * WorkQueue port: jobs that a worker receives, keeps invisible while it works, and then
 * acknowledges or fails. Embedded: a table in the database (adapters/postgres). Scale-out:
 * Amazon SQS. At-least-once: a handler must be idempotent, because a worker that dies lets
 * its job reappear after the visibility timeout.
 */
export interface Job<T = unknown> {
  id: string;
  queue: string;
  payload: T;
  /** 1 on the first delivery. */
  attempt: number;
  maxAttempts: number;
  /** Proves this delivery is the current one (extend/ack/fail with a stale one do nothing). */
  receipt: string;
}

export interface DeadJob {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SendOptions {
  /** A job with the same key still pending in the queue makes this send a no-op. */
  dedupeKey?: string;
  maxAttempts?: number;
  delayMs?: number;
}

export interface WorkQueue {
  send(queue: string, payload: unknown, options?: SendOptions): Promise<void>;
  /**
   * Up to `max` visible jobs, each hidden for `visibilityMs`. An engine may wait a while for
   * jobs to arrive (SQS long polling) unless `wait` is false; `signal` ends that wait early.
   */
  receive<T = unknown>(queue: string, options: { max: number; visibilityMs: number; wait?: boolean; signal?: AbortSignal }): Promise<Job<T>[]>;
  /** Keeps a job hidden longer; false when the job is no longer this delivery's. */
  extend(job: Job, visibilityMs: number): Promise<boolean>;
  /** Done: the job is removed. */
  ack(job: Job): Promise<void>;
  /** Failed: retried after a backoff, or dead when attempts are used up (or `dead` is asked). */
  fail(job: Job, error: string, options?: { dead?: boolean }): Promise<'retry' | 'dead'>;
  deadLetters(queue: string, limit: number): Promise<DeadJob[]>;
  /** Puts a dead job back as pending with fresh attempts; false when there is no such dead job. */
  retryDead(id: string): Promise<boolean>;
  /** Calls `wake` when jobs may have arrived (a hint: receive() decides). Answers an unsubscribe. */
  subscribe(queue: string, wake: () => void): Promise<() => Promise<void>>;
  /** When the next hidden job becomes visible, in ms (undefined: nothing pending); a hint for idle workers. */
  nextVisibleInMs(queue: string): Promise<number | undefined>;
  /** Sends what is batched and releases connections (SQS); absent for the table queue. */
  close?(): Promise<void>;
}

/** Exponential backoff with full jitter: attempt 1 → up to 2 s, doubling, capped at 5 minutes. */
export function backoffMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(300_000, 1000 * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
