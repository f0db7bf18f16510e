/** The PostgreSQL server driver: a `pg` pool; each transaction holds one pooled connection. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyTarget } from './copy-text';
import { CommitHooks, type Db, type TransactionOptions, type Tx } from './handle';
import { Notifications } from './notifications';
import { unavailableDependency } from '../shared/dependency';

/**
 * Every parameterized statement runs as a named prepared statement (named by a digest of its
 * text), so each connection parses and plans it once and reuses the plan afterwards. Our SQL
 * texts are constants, so the set of names stays small; for the multi-CTE reservation
 * statement this removes most of its cost.
 */
const statementNames = new Map<string, string>();
function prepared(text: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  if (!params || params.length === 0) return { text };
  let name = statementNames.get(text);
  if (!name) {
    name = `oms_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}

// int8 values (counts, stock units) stay far below 2^53 by schema limits, so numbers are safe.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresOptions {
  url: string;
  poolSize: number;
  onBackgroundError?: (error: unknown) => void;
  /** How long a request may wait for a connection, and a statement may run, before it fails (ms). */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** Defaults: a server that stops answering is an error in seconds, never a hang (a black-holed TCP connection sends no reset). */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 20_000;
/** The client's read timeout in an unbounded transaction: a day (setTimeout cannot take "never"). */
const UNBOUNDED_READ_MS = 86_400_000;

function createPool(options: PostgresOptions): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
  return new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types: types as pg.CustomTypesConfig,
    application_name: 'oms',
    connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    // The server cuts a statement off; the client gives up a little later if no answer comes at all.
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2_000,
    // A transaction left open by a process that vanished mid-way frees its locks within a minute.
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
  });
}

export function openPostgres(options: PostgresOptions): Db {
  const onError = options.onBackgroundError ?? (() => {});
  const pool = createPool(options);
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', onError);
  const notifications = new Notifications(async (channel, payload) => {
    await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }, onError);
  const listening = new Map<string, Promise<() => Promise<void>>>();

  return {
    kind: 'postgres',
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await pool.query<R & pg.QueryResultRow>(prepared(text, params));
      return result.rows;
    },
    transaction: (work, txOptions) => runTransaction(pool, notifications, onError, work, txOptions ?? {}),
    async listen(channel, onNotify) {
      const unsubscribe = notifications.listen(channel, onNotify);
      // One LISTEN session per channel and process, outside the pool, for other processes' news.
      if (!listening.has(channel)) listening.set(channel, listenRemote(options.url, channel, notifications, onError));
      await listening.get(channel);
      return async () => unsubscribe();
    },
    notify(channel, payload = '') {
      notifications.deliver(channel, payload);
    },
    async close() {
      for (const stop of listening.values()) await (await stop.catch(() => async () => {}))();
      await pool.end();
    },
  } as Db;
}

/** One transaction on one pooled client: BEGIN, the work, COMMIT (or ROLLBACK and rethrow); commit callbacks after. */
async function runTransaction<T>(
  pool: pg.Pool,
  notifications: Notifications,
  onError: (error: unknown) => void,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const client = await pool.connect();
  // Checked out, a client is no longer watched by the pool: a server that goes away now
  // ('terminating connection', 57P01) would be an unhandled 'error' event and end the process.
  // The error reaches the statement under way; the client is dropped when released.
  let broken: unknown;
  const onClientError = (error: unknown) => {
    broken = error;
  };
  client.on('error', onClientError);
  const hooks = new CommitHooks();
  try {
    // One round trip either way: a simple-protocol query may hold several statements.
    const settings = [options.durable === false ? 'SET LOCAL synchronous_commit TO OFF' : '', options.unbounded ? 'SET LOCAL statement_timeout TO 0' : ''];
    await client.query(['BEGIN', ...settings.filter(Boolean)].join('; '));
    const value = await work(transactionOn(client, hooks, notifications, options.unbounded ? UNBOUNDED_READ_MS : undefined));
    await client.query('COMMIT');
    hooks.run(onError);
    return value;
  } catch (error) {
    // A connection that is lost, or did not answer in time (pg keeps such a client, still waiting),
    // is dropped, not asked to roll back: the server rolls back what it never saw committed.
    if (unavailableDependency(error)) broken ??= error;
    try {
      if (!broken) await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken ??= rollbackError; // the connection is unusable: drop it from the pool
    }
    throw error;
  } finally {
    client.off('error', onClientError);
    client.release(broken as Error | undefined);
  }
}

/** The Tx a transaction's work sees: its statements on the one client; notifications and callbacks wait for the commit. */
function transactionOn(client: pg.PoolClient, hooks: CommitHooks, notifications: Notifications, readTimeoutMs?: number): Tx {
  const bounded = (config: pg.QueryConfig): pg.QueryConfig =>
    readTimeoutMs === undefined ? config : ({ ...config, query_timeout: readTimeoutMs } as pg.QueryConfig);
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await client.query<R & pg.QueryResultRow>(bounded(prepared(text, params)));
      return result.rows;
    },
    onCommit: (callback) => hooks.add(callback),
    notify: (channel, payload = '') => hooks.add(() => notifications.deliver(channel, payload)),
    async exec(script) {
      await client.query(bounded({ text: script }));
    },
    async copyFrom(table, columns, rows) {
      await pipeline(Readable.from([rows]), client.query(copyFrom(`COPY ${copyTarget(table, columns)} FROM STDIN`)));
    },
  };
}

/**
 * A LISTEN session of its own for one channel, which comes back by itself: a server restart ends
 * the session, and without it other processes' notifications would stop until this one restarts.
 * After a reconnect the listeners are told once (an empty payload: "look again"), since what was
 * notified while the session was down is lost. Answers how to end it.
 */
async function listenRemote(url: string, channel: string, notifications: Notifications, onError: (error: unknown) => void): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = 250;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void reconnect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, 5_000);
  };
  const drop = (session: pg.Client) => {
    if (session !== client) return;
    client = undefined;
    void session.end().catch(() => {});
    schedule();
  };
  const connect = async (): Promise<void> => {
    const session = new pg.Client({ connectionString: url, application_name: 'oms-listen', connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    session.on('notification', (message) => {
      if (message.channel === channel) notifications.received(channel, message.payload ?? '');
    });
    session.on('error', (error) => {
      onError(error);
      drop(session);
    });
    session.on('end', () => drop(session));
    client = session;
    try {
      await session.connect();
      await session.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      drop(session);
      throw error;
    }
    retryMs = 250;
  };
  const reconnect = async (): Promise<void> => {
    if (stopped || client) return;
    // What was notified while the session was down is lost: every listener is told to look again.
    await connect().then(
      () => notifications.received(channel, '|'),
      () => undefined, // drop() has scheduled the next try
    );
  };
  await connect().catch((error: unknown) => {
    stopped = true; // the caller hears of it: no reconnecting in the background of a start that failed
    clearTimeout(timer);
    throw error;
  });
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const session = client;
    client = undefined;
    await session?.end().catch(onError);
  };
}
