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
 * upload. Here every statement and transaction takes its turn in our own line, where requests
 * go before background work.
 */
import { PGlite, types as pgliteTypes, type Transaction } from '@electric-sql/pglite';
import { copyTarget } from './copy-text';
import { CommitHooks, type Db, type Tx } from './handle';
import { Notifications } from './notifications';
import { isBackground } from './work-priority';
import { mayWrite, type DiskGuard } from './disk-guard';

/**
 * A small WAL: PGlite checkpoints rarely on its own, and the default (up to 1 GB of segments)
 * is room a small disk does not have. Fewer, earlier checkpoints cost little at our write rates.
 */
const WAL_SETTINGS = ["max_wal_size = '64MB'", "min_wal_size = '32MB'"];

/** How long the line may run statements back to back before it lets the event loop's I/O in. */
const PAUSE_EVERY_MS = 5;
/** Requests served in a row, while background work waits, before one background turn. */
const FOREGROUND_RUN = 4;

export interface PgliteOptions {
  /** Directory for the database files; `undefined` keeps it in memory. */
  dataDir?: string;
  /** A data directory dump (`dumpDataDir`) to start from, used by tests for speed. */
  loadDataDir?: Blob | File;
  onBackgroundError?: (error: unknown) => void;
  /** Refuses writes while the disk under dataDir is nearly full (disk-guard.ts). */
  guard?: DiskGuard;
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
    postgresqlconf: WAL_SETTINGS,
  });
  const guard = options.guard;

  const line = new TurnLine();

  return {
    kind: 'pglite',
    async query<R>(text: string, params?: readonly unknown[]) {
      if (guard && mayWrite(text)) guard.assertRoom();
      const result = await line.inTurn(() => pglite.query<R>(text, params as unknown[] | undefined));
      return result.rows;
    },
    async transaction(work) {
      guard?.assertRoom();
      const hooks = new CommitHooks();
      // PGlite's transaction() rolls back when the callback throws, so a failed statement
      // never poisons the next transaction on the shared connection.
      const value = await line.inTurn(() => pglite.transaction(async (inner) => work(transactionOn(inner, hooks, notifications))));
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
    health: () => guard?.problem(),
    async close() {
      guard?.stop();
      await pglite.close();
    },
    async dumpDataDir() {
      return pglite.dumpDataDir('none');
    },
  } as PgliteDb;
}

/** The Tx a transaction's work sees; notifications and callbacks wait for the commit. */
function transactionOn(inner: Transaction, hooks: CommitHooks, notifications: Notifications): Tx {
  return {
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
}

/**
 * One line for the connection, in two lanes: requests first, background work (runInBackground)
 * when no request waits, with one background turn after every FOREGROUND_RUN requests in a row
 * so that a busy API slows the roles without stopping them. PGlite runs synchronously, and a
 * line kept full would leave no moment to read anyone's request: every few milliseconds, the
 * next turn starts after a pass of the event loop (which is when new requests get in line).
 */
class TurnLine {
  private readonly foreground: (() => void)[] = [];
  private readonly background: (() => void)[] = [];
  private busy = false;
  private foregroundRun = 0;
  private lastPause = performance.now();

  inTurn<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (isBackground() ? this.background : this.foreground).push(() => void work().then(resolve, reject).finally(this.release));
      if (!this.busy) this.next();
    });
  }

  private next(): void {
    const takeBackground = this.background.length > 0 && (this.foreground.length === 0 || this.foregroundRun >= FOREGROUND_RUN);
    const turn = takeBackground ? this.background.shift() : this.foreground.shift();
    this.foregroundRun = takeBackground ? 0 : this.foregroundRun + 1;
    this.busy = turn !== undefined;
    turn?.();
  }

  private readonly release = (): void => {
    if (performance.now() - this.lastPause < PAUSE_EVERY_MS) return this.next();
    setImmediate(() => {
      this.lastPause = performance.now();
      this.next();
    });
  };
}
