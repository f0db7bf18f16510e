/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM) with its files under DATA_DIR.
 *
 * PGlite has a single connection. It serializes statements and `transaction()` calls itself
 * (a plain query waits while a transaction is open), which is exactly the guarantee that
 * kysely-pglite lacked. Transactions therefore run one at a time: keep them short and never
 * await network I/O inside one.
 *
 * Its own locks are not fair, though: a plain query waits for a moment when no transaction
 * holds the connection, and a writer that queues its next transaction before the last one ends
 * (ingest does) leaves no such moment, so reads and other tenants' work starved behind a long
 * upload. Here every statement and transaction takes its turn in one first-come queue.
 */
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { copyTarget } from './copy-text';
import { CommitHooks, type Db, type Tx } from './handle';
import { Notifications } from './notifications';

/** How long the line may run statements back to back before it lets the event loop's I/O in. */
const PAUSE_EVERY_MS = 5;

export interface PgliteOptions {
  /** Directory for the database files; `undefined` keeps it in memory. */
  dataDir?: string;
  /** A data directory dump (`dumpDataDir`) to start from, used by tests for speed. */
  loadDataDir?: Blob | File;
  onBackgroundError?: (error: unknown) => void;
}

/** A PGlite database; `dumpDataDir` snapshots it (tests start each file from a migrated dump). */
export interface PgliteDb extends Db {
  dumpDataDir(): Promise<Blob>;
}

export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDb> {
  const onError = options.onBackgroundError ?? (() => {});
  // One process owns a PGlite database: notifications never need to leave it.
  const notifications = new Notifications(undefined, onError);
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
    parsers: { [pgliteTypes.INT8]: (value: string) => Number(value) },
  });

  let last: Promise<unknown> = Promise.resolve();
  /**
   * Runs `work` when everything queued before it has finished: one first-come line for the
   * connection. PGlite runs synchronously, and a line kept full by one busy client would leave
   * no moment to read anyone else's request: every few milliseconds, a turn starts after a pass
   * of the event loop.
   */
  let lastPause = performance.now();
  const pauseNow = () => {
    if (performance.now() - lastPause < PAUSE_EVERY_MS) return undefined;
    return setImmediatePromise().then(() => void (lastPause = performance.now()));
  };
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = last.then(pauseNow).then(work);
    last = turn.catch(() => undefined);
    return turn;
  };

  return {
    kind: 'pglite',
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await inTurn(() => pglite.query<R>(text, params as unknown[] | undefined));
      return result.rows;
    },
    async transaction(work) {
      const hooks = new CommitHooks();
      // PGlite's transaction() rolls back when the callback throws, so a failed statement
      // never poisons the next transaction on the shared connection.
      const value = await inTurn(() => pglite.transaction(async (inner) => {
        const tx: Tx = {
          async query<R>(text: string, params?: readonly unknown[]) {
            const result = await inner.query<R>(text, params as unknown[] | undefined);
            return result.rows;
          },
          onCommit: (callback) => hooks.add(callback),
          notify: (channel, payload = '') => hooks.add(() => notifications.deliver(channel, payload)),
          async exec(script) {
            await inner.exec(script);
          },
          async copyFrom(table, columns, rows) {
            // PGlite's COPY reads a Blob through its /dev/blob device.
            await inner.query(`COPY ${copyTarget(table, columns)} FROM '/dev/blob'`, [], { blob: new Blob([rows]) });
          },
        };
        return work(tx);
      }));
      hooks.run(onError);
      return value;
    },
    async listen(channel, onNotify) {
      const unsubscribe = notifications.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    notify(channel, payload = '') {
      notifications.deliver(channel, payload);
    },
    async close() {
      await pglite.close();
    },
    async dumpDataDir() {
      return pglite.dumpDataDir('none');
    },
  } as PgliteDb;
}
