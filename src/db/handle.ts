/**
 * The database handle: one small interface over both drivers (PGlite embedded, `pg` for the
 * PostgreSQL server). Everything above this file speaks PostgreSQL SQL with `$n` parameters.
 *
 * Terminology
 * - Queryable: anything that runs a statement (the pool, or one open transaction).
 * - Tx: an open transaction; `onCommit` callbacks run only after it commits (cache
 *   invalidation, wake-ups), never when it rolls back.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Tx extends Queryable {
  onCommit(callback: () => void): void;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Tells listeners of `channel` once this transaction has committed (see notifications.ts). */
  notify(channel: string, payload?: string): void;
  /**
   * Bulk-loads rows into `table` with COPY … FROM (text format, made by copyText()): for many
   * rows at once, far cheaper for the server than an INSERT that takes a parameter apart.
   * A constraint violation fails the statement (and the transaction) as an INSERT would.
   */
  copyFrom(table: string, columns: readonly string[], rows: string): Promise<void>;
}

export interface TransactionOptions {
  /** false: the commit may be acknowledged before it reaches disk (see Db.transaction). */
  durable?: boolean;
  /** No statement timeout (migrations: building an index on a big table takes what it takes). */
  unbounded?: boolean;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `work` in one transaction; rolls back if it throws, then rethrows.
   * `durable: false` lets the server acknowledge the commit before its WAL reaches disk
   * (synchronous_commit off): a crash may lose the newest such commits — never one in the
   * middle, as the WAL is sequential. Only for work that is redone after a crash anyway
   * (consumer offsets, a finalizer's idempotent moves), never for what a client was told.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Calls `onNotify` for each notification on `channel`, from this process or (on a server)
   * any other. Returns the function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Notifies listeners now, for a change committed by a single autocommit statement. */
  notify(channel: string, payload?: string): void;
  /** Why the database cannot take writes now (the embedded one's disk nearly full), or undefined. */
  health?(): string | undefined;
  close(): Promise<void>;
}

/** Collects onCommit callbacks for one transaction and runs them once it has committed. */
export class CommitHooks {
  private readonly callbacks: (() => void)[] = [];
  add(callback: () => void): void {
    this.callbacks.push(callback);
  }
  run(onError: (error: unknown) => void): void {
    for (const callback of this.callbacks) {
      try {
        callback();
      } catch (error) {
        onError(error);
      }
    }
  }
}

/** PostgreSQL error fields we branch on (SQLSTATE code and constraint name). */
export interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

export function pgErrorOf(error: unknown): PgError | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as PgError).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return error as PgError;
  }
  return undefined;
}

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
