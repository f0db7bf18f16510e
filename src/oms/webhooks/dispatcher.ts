/**
 * The webhooks role's engine. Order events become dispatches (createDispatches, idempotent, so
 * the event log's at-least-once is enough); due dispatches are claimed in batches and sent with
 * bounded concurrency over keep-alive connections; each attempt is recorded with the outcome
 * the Standard Webhooks retry rules give (classify). Sending never happens inside a database
 * transaction, and nothing here blocks ingest or the finalizer: they only write events.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/handle';
import type { LoggedEvent } from '../../events/envelope';
import { forEachConcurrently } from '../../shared/concurrently';
import { Wakeable } from '../../shared/wakeable';
import { LoopStatus } from '../../shared/loop-status';
import { claimDue, createDispatches, nextDueInMs, recordAttempts, type AttemptOutcome, type ClaimedDispatch } from './dispatches';
import type { SendResult, WebhookSender } from './sender';
import { signedHeaders } from './signature';

export interface DispatcherOptions {
  /** Seconds before each attempt (WEBHOOK_RETRY_SCHEDULE). */
  schedule: readonly number[];
  /** Sends in flight at once. */
  concurrency?: number;
  /** How long a claimed dispatch stays hidden: longer than a send can take. */
  leaseMs?: number;
  logger?: Logger;
  random?: () => number;
  /** Where the send loop reports its state (loop-status.ts). */
  status?: LoopStatus;
}

/** Retry-After is honoured up to a day. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** What an attempt's result means for its dispatch (`attempt` is its 1-based number). */
export function classify(
  result: SendResult,
  attempt: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): Omit<AttemptOutcome, 'attempt'> {
  const code = result.statusCode;
  if (code !== undefined && code >= 200 && code < 300) return { status: 'succeeded', succeeded: true };
  if (code === 410) return { status: 'failed', succeeded: false, disableEndpoint: 'the receiver answered 410 Gone' };
  const retryable = code === undefined || (code >= 300 && code < 400) || code === 429 || code >= 500;
  if (!retryable || attempt >= schedule.length) return { status: 'failed', succeeded: false };
  // ±10% jitter spreads retries of many dispatches that failed together.
  const wait = schedule[attempt]! * 1000 * (0.9 + 0.2 * random());
  const retryAfter = result.retryAfterMs === undefined ? 0 : Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS);
  return { status: 'pending', succeeded: false, nextAttemptInMs: Math.round(Math.max(wait, retryAfter)) };
}

export class WebhookDispatcher {
  private running: Promise<void> | undefined;
  /** Woken by new dispatches and by stop(). */
  private readonly wakeup = new Wakeable();
  private readonly concurrency: number;
  private readonly leaseMs: number;

  constructor(
    private readonly db: Db,
    private readonly sender: WebhookSender,
    private readonly options: DispatcherOptions,
  ) {
    this.concurrency = options.concurrency ?? 32;
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  /** The event-log handler: dispatches for the batch's events, then a wake-up. */
  readonly handle = async (events: LoggedEvent[]): Promise<void> => {
    if ((await createDispatches(this.db, events)) > 0) this.wakeup.wake();
  };

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.wakeup.close();
    await this.running;
  }

  /**
   * Sends everything due now, then resolves. Batches are pipelined: one batch's attempts are
   * recorded while the next batch is claimed and sent (its rows are leased, so no batch can
   * claim another's dispatches).
   */
  async drainDue(): Promise<void> {
    let recording: Promise<void> = Promise.resolve();
    let failure: unknown;
    for (;;) {
      // Claim several sends' worth at once: two transactions per batch.
      const claimed = await claimDue(this.db, this.concurrency * 4, this.leaseMs);
      if (claimed.length === 0) break;
      const outcomes = await this.sendAll(claimed);
      await recording;
      if (failure) throw failure;
      recording = recordAttempts(this.db, outcomes).then(
        (recorded) => {
          if (recorded < outcomes.length)
            this.options.logger?.warn({ lost: outcomes.length - recorded }, 'dispatches were taken over before their attempts were recorded');
        },
        (error: unknown) => {
          failure = error;
        },
      );
    }
    await recording;
    if (failure) throw failure;
  }

  /** Sends claimed dispatches, `concurrency` at a time. */
  private async sendAll(claimed: readonly ClaimedDispatch[]): Promise<{ claimed: ClaimedDispatch; outcome: AttemptOutcome }[]> {
    const outcomes: { claimed: ClaimedDispatch; outcome: AttemptOutcome }[] = [];
    await forEachConcurrently(claimed, this.concurrency, async (c) => {
      outcomes.push({ claimed: c, outcome: await this.attempt(c) });
    });
    return outcomes;
  }

  private async loop(): Promise<void> {
    const status = this.options.status ?? new LoopStatus('webhooks:dispatch');
    while (!this.wakeup.isClosed) {
      try {
        status.set('working');
        await this.drainDue();
        const due = await nextDueInMs(this.db);
        status.set('idle');
        await this.wakeup.wait(Math.min(due ?? 1000, 1000));
      } catch (error) {
        status.failed(error);
        this.options.logger?.warn({ err: error }, 'webhook dispatch round failed');
        this.wakeup.clear();
        await this.wakeup.wait(1000);
      }
    }
    status.set('stopped');
  }

  /** Sends one claimed dispatch and decides what its result means. */
  private async attempt(claimed: ClaimedDispatch): Promise<AttemptOutcome> {
    const attemptedAt = new Date();
    const result: SendResult = claimed.active
      ? await this.sender.send(claimed.url, { ...signedHeaders(claimed.secrets, claimed.event_id, claimed.body, attemptedAt) }, claimed.body)
      : { latencyMs: 0, error: 'the endpoint is disabled' };
    const decided = claimed.active
      ? classify(result, claimed.attempts + 1, this.options.schedule, this.options.random)
      : { status: 'failed' as const, succeeded: false };
    return {
      ...decided,
      attempt: {
        attempted_at: attemptedAt,
        status_code: result.statusCode ?? null,
        latency_ms: result.latencyMs,
        error: result.error ?? (decided.succeeded ? null : `HTTP ${result.statusCode}`),
        response_body: result.responseBody ?? null,
      },
    };
  }
}
