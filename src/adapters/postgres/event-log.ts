/**
 * The database EventLog: consumers read oms.events in (tx_id, seq) order from their committed
 * offset, under a lease so that one process at a time consumes for a group.
 *
 * Visibility: only events of transactions older than the oldest one still running are read
 * (`tx_id < pg_snapshot_xmin(...)`). A sequence number is taken at insert but the row becomes
 * visible at commit, possibly after higher ones; reading below the horizon never skips it.
 *
 * Wake-ups: NOTIFY from the outbox writer (any process), plus a slow safety timer. When events
 * exist but are still above the horizon, a short re-check follows instead of waiting.
 *
 * Failures: events/handle-batch.ts (retried event by event, then parked in oms.dead_letters).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/handle';
import type { LoggedEvent } from '../../events/envelope';
import { EVENTS_CHANNEL, INVENTORY_CHANNEL_TYPE, INVENTORY_EVENTS_CHANNEL, INVENTORY_WAKE_MS } from '../../events/outbox';
import { defaultBackoffMs, handleWithRetries, type RetryOptions } from '../../events/handle-batch';
import type { BatchHandler, EventLog, SubscribeOptions, Subscription } from '../../ports/event-log';
import { Wakeable } from '../../shared/wakeable';
import { LoopRegistry, type LoopStatus } from '../../shared/loop-status';

export interface DbEventLogOptions {
  batchSize?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
  idleCheckMs?: number;
  onError?: (error: unknown, context: Record<string, unknown>) => void;
  /**
   * Hand each event's data over as the JSON text the outbox stores (`data_json`, with `data`
   * left empty) instead of parsed: for a consumer that only passes it on (the Kafka relay),
   * parsing it here and serializing it again there was a tenth of its time.
   */
  dataAsText?: boolean;
  /** Where each consumer group reports its state (`event-log:<group>`). */
  loops?: LoopRegistry;
}

interface Position {
  tx_id: string;
  seq: number;
}

export class DbEventLog implements EventLog {
  constructor(
    private readonly db: Db,
    private readonly options: DbEventLogOptions = {},
  ) {}

  subscribe(group: string, handler: BatchHandler, subscribed: SubscribeOptions = {}): Subscription {
    return new GroupConsumer(this.db, group, handler, this.options, subscribed.types);
  }
}

/** What a pass's outcome says about the loop (events waiting for older transactions: 'idle' too, briefly). */
const PASS_STATE: Record<'busy' | 'idle' | 'blocked' | 'not-leader', LoopStatus['state']> = {
  busy: 'working',
  idle: 'idle',
  blocked: 'idle',
  'not-leader': 'standby',
};

class GroupConsumer implements Subscription {
  private readonly owner = randomUUID();
  private readonly status: LoopStatus;
  private readonly batchSize: number;
  private readonly dataAsText: boolean;
  private readonly leaseSeconds: number;
  private readonly retry: RetryOptions;
  private readonly onError: (error: unknown, context: Record<string, unknown>) => void;
  /** Woken by NOTIFY (any process's outbox write) and by stop(). */
  private readonly wakeup = new Wakeable();
  private readonly loop: Promise<void>;
  private unlisten: (() => Promise<void>) | undefined;
  /** Serializes the background loop and drain() so a batch is never handled twice at once. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly group: string,
    private readonly handler: BatchHandler,
    options: DbEventLogOptions,
    /** Undefined: every type. */
    private readonly types?: readonly string[],
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.dataAsText = options.dataAsText ?? false;
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.onError = options.onError ?? (() => {});
    this.retry = {
      maxAttempts: options.maxAttempts ?? 5,
      backoffMs: options.backoffMs ?? defaultBackoffMs,
      onError: this.onError,
      isStopping: () => this.wakeup.isClosed,
    };
    const idleCheckMs = options.idleCheckMs ?? 1000;
    this.status = (options.loops ?? new LoopRegistry()).loop(`event-log:${group}`);
    this.loop = this.run(idleCheckMs);
  }

  /**
   * Events above the horizon belong to transactions still running (anywhere on the server);
   * drain waits for them a little, then returns rather than wait on a transaction forever.
   */
  async drain(maxBlockedMs = 2000): Promise<void> {
    let blockedSince: number | undefined;
    for (;;) {
      const result = await this.exclusive(() => this.pass());
      if (result === 'idle' && this.skipped) await this.exclusive(() => this.flush());
      if (result === 'idle' || result === 'not-leader') return;
      if (result === 'busy') {
        blockedSince = undefined;
        continue;
      }
      blockedSince ??= Date.now();
      if (Date.now() - blockedSince > maxBlockedMs) return;
      await sleep(5);
    }
  }

  /** A wake-up gathered with any others in the next INVENTORY_WAKE_MS (see INVENTORY_EVENTS_CHANNEL). */
  private soon: NodeJS.Timeout | undefined;
  private wakeSoon(): void {
    if (this.wakeup.isClosed) return;
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      this.wakeup.wake();
    }, INVENTORY_WAKE_MS);
  }

  async stop(): Promise<void> {
    clearTimeout(this.soon);
    this.wakeup.close();
    await this.loop;
    this.status.set('stopped');
    await this.exclusive(() => this.flush()).catch(() => undefined);
    this.held = undefined;
    await this.unlisten?.();
    await this.db
      .query('UPDATE oms.consumer_offsets SET leased_by = NULL, lease_until = NULL WHERE consumer = $1 AND leased_by = $2', [this.group, this.owner])
      .catch(() => undefined);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.running.then(work, work);
    this.running = next.catch(() => undefined);
    return next;
  }

  private async run(idleCheckMs: number): Promise<void> {
    try {
      // Kept as they are made: a second listen that fails must not leave the first one behind.
      const unlisten: (() => Promise<void>)[] = [];
      this.unlisten = async () => void (await Promise.all(unlisten.map((stop) => stop())));
      unlisten.push(await this.db.listen(EVENTS_CHANNEL, () => this.wakeup.wake()));
      if (!this.types || this.types.includes(INVENTORY_CHANNEL_TYPE)) unlisten.push(await this.db.listen(INVENTORY_EVENTS_CHANNEL, () => this.wakeSoon()));
    } catch (error) {
      this.onError(error, { group: this.group, phase: 'listen' });
    }
    while (!this.wakeup.isClosed) {
      let result: Awaited<ReturnType<GroupConsumer['pass']>> = 'idle';
      try {
        this.status.set('working');
        result = await this.exclusive(() => this.pass());
        this.status.set(PASS_STATE[result]);
      } catch (error) {
        this.status.failed(error);
        this.onError(error, { group: this.group, phase: 'consume' });
        await sleep(this.retry.backoffMs(1));
      }
      if (result === 'busy') continue;
      // idle: wait for a NOTIFY or the safety timer; blocked: events wait for older transactions
      await this.wakeup.wait(result === 'blocked' ? 10 : result === 'not-leader' ? this.leaseSeconds * 500 : idleCheckMs);
    }
  }

  /** One batch: 'busy' if a full batch was handled, 'idle' / 'blocked' / 'not-leader' otherwise. */
  /** The next batch, read while the handler works on this one (only after a full batch: more is likely waiting). */
  private readAhead: { after: Position; events: Promise<LoggedEvent[]> } | undefined;

  private async pass(): Promise<'busy' | 'idle' | 'blocked' | 'not-leader'> {
    const position = await this.lease();
    if (!position) return 'not-leader';
    const ahead = this.readAhead;
    this.readAhead = undefined;
    const events = await (ahead && samePosition(ahead.after, position) ? ahead.events : this.read(position));
    if (events.length === 0) {
      // A position moved past skipped events is written once it is due (the idle timer comes by every second).
      if (this.skipped && this.commitDue() && !(await this.commit(position))) return 'not-leader';
      return (await this.hasInvisible(position)) ? 'blocked' : 'idle';
    }
    const last = events[events.length - 1]!;
    const next = { tx_id: last.tx_id, seq: last.seq };
    if (events.length === this.batchSize) {
      // Reading is safe to start early (the horizon is applied when it runs); commits stay in order.
      const read = this.read(next);
      read.catch(() => undefined); // not unhandled meanwhile: if it failed, the pass that takes it fails and the next one reads again
      this.readAhead = { after: next, events: read };
    }
    const wanted = this.types ? events.filter((e) => this.types!.includes(e.type)) : events;
    if (wanted.length > 0) await handleWithRetries(this.db, this.group, this.handler, wanted, this.retry);
    // Nothing for this group in a small batch (the finalizer passing the inventory's events): the
    // position moves in memory and is written with the next batch that matters, or a second
    // later. Lost in a crash, it only means these events are passed over again.
    const kept = wanted.length === 0 && events.length < this.batchSize && !this.commitDue() ? this.skip(next) : await this.commit(next);
    if (!kept) return 'not-leader';
    if (events.length === this.batchSize) return 'busy';
    return (await this.hasInvisible(next)) ? 'blocked' : 'idle';
  }

  /** The position we hold the lease for, renewed only when half of it has run out. */
  private held: { position: Position; until: number } | undefined;

  private async lease(): Promise<Position | undefined> {
    if (this.held && this.held.until - Date.now() > (this.leaseSeconds * 1000) / 2) return this.held.position;
    this.held = undefined;
    await this.db.query('INSERT INTO oms.consumer_offsets (consumer) VALUES ($1) ON CONFLICT DO NOTHING', [this.group]);
    const rows = await this.db.query<Position>(
      `UPDATE oms.consumer_offsets
       SET leased_by = $2, lease_until = now() + make_interval(secs => $3)
       WHERE consumer = $1 AND (leased_by = $2 OR leased_by IS NULL OR lease_until < now())
       RETURNING tx_id::text AS tx_id, seq`,
      [this.group, this.owner, this.leaseSeconds],
    );
    // Our clock may run ahead of the server's: count the lease from before we asked.
    if (rows[0]) this.held = { position: rows[0], until: Date.now() + this.leaseSeconds * 1000 - 1000 };
    this.skipped = false; // the written position is the one held now
    return rows[0];
  }

  private read(after: Position): Promise<LoggedEvent[]> {
    return this.db.query<LoggedEvent>(
      // ORDER BY names the columns, not the text aliases: sorting tx ids as text put "1000" before
      // "999" (and a LIMIT then skipped events), and it could not walk the position index.
      // Events of types not subscribed to come without their data (the handler never sees
      // them): the position moves past them at the cost of a few small columns.
      `SELECT e.seq, e.tx_id::text AS tx_id, e.id, e.type, e.tenant_id, e.key, e.occurred_at,
              ${this.dataAsText ? `'{}'::jsonb AS data, e.data::text AS data_json` : 'CASE WHEN $4::text[] IS NULL OR e.type = ANY($4::text[]) THEN e.data END AS data'}
       FROM oms.events e
       WHERE (e.tx_id, e.seq) > ($1::xid8, $2::int8) AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.tx_id, e.seq
       LIMIT $3`,
      this.dataAsText ? [after.tx_id, after.seq, this.batchSize] : [after.tx_id, after.seq, this.batchSize, this.types ?? null],
    );
  }

  private async hasInvisible(after: Position): Promise<boolean> {
    // ORDER BY makes it one step along the position index; without it the planner may scan the table.
    const rows = await this.db.query('SELECT 1 FROM oms.events WHERE (tx_id, seq) > ($1::xid8, $2::int8) ORDER BY tx_id, seq LIMIT 1', [
      after.tx_id,
      after.seq,
    ]);
    return rows.length > 0;
  }

  /** Writes a position moved by skip(). */
  private async flush(): Promise<void> {
    if (this.skipped && this.held) await this.commit(this.held.position);
  }

  /** When the position was last written, for skip(). */
  private committedAt = 0;

  private commitDue(): boolean {
    return Date.now() - this.committedAt > 1000 || !this.held;
  }

  /** Moves the position past events this group does not read, without writing it (see pass()). */
  private skip(position: Position): boolean {
    this.held = { ...this.held!, position };
    this.skipped = true;
    return true;
  }

  /** The held position is ahead of the written one (skip()). */
  private skipped = false;

  /** Not durable: an offset lost in a crash only means the batch is delivered again. */
  private async commit(position: Position): Promise<boolean> {
    const rows = await this.db.transaction(
      (tx) =>
        tx.query(
          `UPDATE oms.consumer_offsets SET tx_id = $3::xid8, seq = $4, updated_at = now(), lease_until = now() + make_interval(secs => $5)
       WHERE consumer = $1 AND leased_by = $2 RETURNING 1`,
          [this.group, this.owner, position.tx_id, position.seq, this.leaseSeconds],
        ),
      { durable: false },
    );
    if (rows.length === 0) {
      this.held = undefined;
      return false;
    }
    this.held = { position, until: Date.now() + this.leaseSeconds * 1000 - 1000 };
    this.committedAt = Date.now();
    this.skipped = false;
    return true;
  }
}

const samePosition = (a: Position, b: Position) => a.tx_id === b.tx_id && Number(a.seq) === Number(b.seq);
