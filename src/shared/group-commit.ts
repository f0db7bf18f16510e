/**
 * Group commit: items submitted at about the same moment under one key (a tenant) are stored
 * together, in one statement or transaction for the lot, and each caller gets its own outcome.
 *
 * Items submitted in one turn of the event loop form a batch. While `maxInFlight` batches of a
 * key are being stored, new items wait and leave together with the next one, so batches grow
 * with the load instead of each request queueing for a commit of its own, and at low load an
 * item waits for nothing but the turn it came in. A batch that fails is stored again item by
 * item, so one bad item fails alone.
 */
import { inRequestTransaction } from '../db/request-transaction';
import { AppError } from './errors';

interface Pending<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (error: unknown) => void;
}

interface Line<I, O> {
  waiting: Pending<I, O>[];
  inFlight: number;
  scheduled: boolean;
}

export interface GroupCommitOptions {
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches of one key being stored at once at most (Infinity: a batch per event-loop turn). */
  maxInFlight: number;
  /** Items of one key waiting at most; beyond, submit fails with 429 (the key is too busy). */
  maxWaiting: number;
}

export class GroupCommit<I, O> {
  private readonly lines = new Map<string, Line<I, O>>();

  /** `store` answers one outcome per item, in order; it throws to fail the whole batch. */
  constructor(
    private readonly store: (key: string, items: I[]) => Promise<O[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(key: string, item: I): Promise<O> {
    // A request with its own transaction (an Idempotency-Key) stores its item in it, alone:
    // a batch shared with other requests would commit, or roll back, with theirs.
    if (inRequestTransaction()) return this.store(key, [item]).then((outcomes) => outcomes[0]!);
    return new Promise<O>((resolve, reject) => {
      const line = this.lines.get(key) ?? { waiting: [], inFlight: 0, scheduled: false };
      this.lines.set(key, line);
      if (line.waiting.length >= this.options.maxWaiting) return reject(new AppError(429, 'request.tenant_busy'));
      line.waiting.push({ item, resolve, reject });
      if (line.scheduled || line.inFlight >= this.options.maxInFlight) return;
      line.scheduled = true;
      setImmediate(() => {
        line.scheduled = false;
        this.flush(key, line);
      });
    });
  }

  /** Starts batches of the waiting items while the key has room for them. */
  private flush(key: string, line: Line<I, O>): void {
    while (line.inFlight < this.options.maxInFlight && line.waiting.length > 0) {
      const batch = line.waiting.splice(0, this.options.maxBatch);
      line.inFlight++;
      void this.run(key, batch).finally(() => {
        line.inFlight--;
        // Whatever arrived meanwhile has waited long enough: it leaves at once.
        if (line.waiting.length > 0) this.flush(key, line);
        else if (line.inFlight === 0 && !line.scheduled) this.lines.delete(key);
      });
    }
  }

  private async run(key: string, batch: Pending<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.store(
        key,
        batch.map((p) => p.item),
      );
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const one of batch) await this.run(key, [one]);
    }
  }
}
