/**
 * Batches are pipelined: while batch N's transaction runs, the parser reads batch N+1 and the
 * builder validates it (its look-ups run beside the transaction). Builds run one after another
 * (each learns the file's invalid references from the one before) and so do stores (the
 * checkpoint moves in order). A reference that batch N stores after batch N+1 looked it up
 * makes N+1 roll back and validate again (the ingester's storeBatch).
 */
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { BatchOrders } from './batch-builder';
import type { ParsedLine } from './row-parser';

/** Where a batch leaves the upload: rows before it, its number, the file's bytes read by its end. */
export interface Checkpoint {
  rowsDone: number;
  batch: number;
  bytesDone: number;
}

type Store = (lines: ParsedLine[], checkpoint: Checkpoint, built: Promise<BatchOrders>) => Promise<void>;
type Build = (lines: ParsedLine[]) => Promise<BatchOrders>;

export class BatchPipeline {
  private rowsDone: number;
  private batches: number;
  private lastBuild: Promise<unknown> = Promise.resolve();
  private lastStore: Promise<void> = Promise.resolve();

  /** Starts where the upload's checkpoint stands (a resumed job skips what is committed). */
  constructor(
    upload: { rows_done: number; batches_done: number },
    private readonly build: Build,
    private readonly store: Store,
  ) {
    this.rowsDone = upload.rows_done;
    this.batches = upload.batches_done;
  }

  /** Batches stored or on their way. */
  get count(): number {
    return this.batches;
  }

  /** Starts building this batch, waits for the one before it to be stored, then starts storing it. */
  async flush(lines: ParsedLine[], bytesDone: number): Promise<void> {
    // Parsed rows and PGlite's answers arrive as promise callbacks, which never let the event
    // loop's I/O (other requests, other tenants' uploads) in between: give it a turn per batch.
    await setImmediatePromise();
    const built = this.lastBuild.then(() => this.build(lines));
    this.lastBuild = built.catch(() => undefined);
    await this.lastStore;
    const store = this.store(lines, { rowsDone: this.rowsDone, batch: this.batches + 1, bytesDone }, built);
    this.rowsDone += lines.length;
    this.batches++;
    this.lastStore = store;
    store.catch(() => undefined); // awaited (and thrown) by the next flush or by drain
  }

  /** Waits for the batch in flight; throws its failure. */
  async drain(): Promise<void> {
    await this.lastStore;
  }
}
