/**
 * A request's own transaction: everything one request writes, and what it answered, commit
 * together or not at all.
 *
 * Why: an Idempotency-Key is only exactly-once if the key, the work it guards and the stored
 * answer commit in one transaction. Claimed in a statement of its own and answered in another
 * after the work's commit, a failure in between (the database restarting) left the key claimed
 * and the work done, and the retry that took the key over did the work twice.
 *
 * How: `RequestTransaction.run(scope, handler)` puts the request in an AsyncLocalStorage scope.
 * `joinRequestTransactions(db)` wraps the database handle: inside a scope, the first statement
 * opens one real transaction (lazily, so a request that streams a file first holds nothing
 * meanwhile), every later statement runs in it, and a nested `transaction()` becomes a savepoint
 * (its own rollback, its commit callbacks kept only if it succeeds). The scope ends with
 * `end(commit)`; outside any scope the handle behaves exactly as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, TransactionOptions, Tx } from './handle';

const scopes = new AsyncLocalStorage<RequestTransaction>();

class RolledBack extends Error {}

/** What to do when the scope ends: commit after `beforeCommit` ran in the transaction, or roll back. */
export type Ending = { commit: true; beforeCommit?: (tx: Tx) => Promise<void> } | { commit: false };

export class RequestTransaction {
  private opened?: Promise<Tx>;
  private settle?: (ending: Ending) => void;
  private finished: Promise<void> = Promise.resolve();
  private ended = false;
  /** Nested transactions take turns: a savepoint is a point in one sequence of statements. */
  private nestedTurn: Promise<unknown> = Promise.resolve();
  private savepoints = 0;
  /** Work to start once the transaction has committed (a call to another service that must not see an uncommitted change). */
  private readonly afterCommit: (() => Promise<void>)[] = [];

  constructor(
    private readonly db: Db,
    /** The first statements of the transaction (claiming an idempotency key); throwing refuses the request's work. */
    private readonly onOpen: (tx: Tx) => Promise<void>,
  ) {}

  /** Runs `handler` (and everything it starts) inside this scope. */
  run<T>(handler: () => T): T {
    return scopes.run(this, handler);
  }

  /** Did any statement run in this scope (so that there is something to commit)? */
  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  /** The scope's transaction, opened on first use. */
  tx(): Promise<Tx> {
    this.opened ??= new Promise<Tx>((resolveTx, rejectTx) => {
      // Opened outside the scope: on a handle that joins scopes, it would otherwise wait for itself.
      this.finished = scopes
        .exit(() =>
          this.db.transaction(async (tx) => {
            await this.onOpen(tx);
            const ending = await new Promise<Ending>((settle) => {
              this.settle = settle;
              resolveTx(tx);
            });
            if (!ending.commit) throw new RolledBack();
            await ending.beforeCommit?.(tx);
          }),
        )
        .catch((error: unknown) => {
          rejectTx(error);
          if (!(error instanceof RolledBack)) throw error;
        });
      this.finished.catch(() => {}); // awaited by end(); never an unhandled rejection meanwhile
    });
    return this.opened;
  }

  /** Ends the scope: commits (throwing if the commit failed) or rolls back. Statements after it run on their own again. */
  async end(ending: Ending): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.opened) {
      // A transaction that never opened (its claim refused, the database away) cannot commit:
      // a request that swallowed that error must not answer a success.
      const opened = await this.opened.then(
        () => true,
        (error: unknown) => {
          if (ending.commit) throw error;
          return false;
        },
      );
      if (!opened) return;
      await this.nestedTurn.catch(() => {});
      this.settle!(ending);
      await this.finished;
    }
    if (!ending.commit) return;
    for (const work of this.afterCommit) void scopes.exit(work).catch(() => undefined);
  }

  /** Starts `work` after the commit (dropped on rollback). */
  whenCommitted(work: () => Promise<void>): void {
    this.afterCommit.push(work);
  }

  /** `work` as a savepoint of the scope's transaction. */
  nested<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const turn = this.nestedTurn.then(async () => {
      const tx = await this.tx();
      const name = `request_${++this.savepoints}`;
      await tx.query(`SAVEPOINT ${name}`);
      const deferred: (() => void)[] = [];
      const inner: Tx = {
        query: (text, params) => tx.query(text, params),
        exec: (script) => tx.exec(script),
        copyFrom: (table, columns, rows) => tx.copyFrom(table, columns, rows),
        onCommit: (callback) => deferred.push(() => tx.onCommit(callback)),
        notify: (channel, payload) => deferred.push(() => tx.notify(channel, payload)),
      };
      try {
        const value = await work(inner);
        // Not released: a savepoint left standing costs nothing until COMMIT, and saves a round trip.
        for (const keep of deferred) keep();
        return value;
      } catch (error) {
        await tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        throw error;
      }
    });
    this.nestedTurn = turn.catch(() => {});
    return turn;
  }

  static current(): RequestTransaction | undefined {
    const scope = scopes.getStore();
    return scope && !scope.ended ? scope : undefined;
  }
}

/** True inside a request's transaction scope: work that would batch requests together (group commit) runs alone instead. */
export const inRequestTransaction = (): boolean => RequestTransaction.current() !== undefined;

/**
 * Runs `work` now, or inside a request's transaction, once that has committed (unawaited then):
 * for a call to another service (the IMS over HTTP) that must never act on a change that may
 * still roll back. Such work must be redone from the event log anyway (it is, being idempotent).
 */
export function afterRequestCommit(work: () => Promise<void>): Promise<void> {
  const scope = RequestTransaction.current();
  if (!scope) return work();
  scope.whenCommitted(work);
  return Promise.resolve();
}

/** Runs `work` outside any request scope: for a check before a long stream, which must not hold the transaction open. */
export const outsideRequestTransaction = <T>(work: () => T): T => scopes.exit(work);

/** The database handle that joins a request's transaction when called inside its scope. */
export function joinRequestTransactions<D extends Db>(db: D): D {
  return {
    ...db,
    query(text: string, params?: readonly unknown[]) {
      const scope = RequestTransaction.current();
      if (!scope) return db.query(text, params);
      return scope.tx().then((tx) => tx.query(text, params));
    },
    transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions) {
      const scope = RequestTransaction.current();
      return scope ? scope.nested(work) : db.transaction(work, options);
    },
  } as D;
}
