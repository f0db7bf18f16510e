/** The PostgreSQL server driver: a `pg` pool; each transaction holds one pooled connection. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyTarget } from './copy-text';
import { CommitHooks, type Db, type Tx } from './handle';
import { Notifications } from './notifications';

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
}

export function openPostgres(options: PostgresOptions): Db {
  const onError = options.onBackgroundError ?? (() => {});
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types: types as pg.CustomTypesConfig,
    application_name: 'oms',
  });
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
    async transaction(work, txOptions) {
      const client = await pool.connect();
      const hooks = new CommitHooks();
      let broken: unknown;
      try {
        // One round trip either way: a simple-protocol query may hold two statements.
        await client.query(txOptions?.durable === false ? 'BEGIN; SET LOCAL synchronous_commit TO OFF' : 'BEGIN');
        const value = await work(transactionOn(client, hooks, notifications));
        await client.query('COMMIT');
        hooks.run(onError);
        return value;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError; // the connection is unusable: drop it from the pool
        }
        throw error;
      } finally {
        client.release(broken as Error | undefined);
      }
    },
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

/** The Tx a transaction's work sees: its statements on the one client; notifications and callbacks wait for the commit. */
function transactionOn(client: pg.PoolClient, hooks: CommitHooks, notifications: Notifications): Tx {
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const result = await client.query<R & pg.QueryResultRow>(prepared(text, params));
      return result.rows;
    },
    onCommit: (callback) => hooks.add(callback),
    notify: (channel, payload = '') => hooks.add(() => notifications.deliver(channel, payload)),
    async exec(script) {
      await client.query(script);
    },
    async copyFrom(table, columns, rows) {
      await pipeline(Readable.from([rows]), client.query(copyFrom(`COPY ${copyTarget(table, columns)} FROM STDIN`)));
    },
  };
}

/** A LISTEN session of its own for one channel; answers how to end it. */
async function listenRemote(url: string, channel: string, notifications: Notifications, onError: (error: unknown) => void): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url, application_name: 'oms-listen' });
  client.on('error', onError);
  client.on('notification', (message) => {
    if (message.channel === channel) notifications.received(channel, message.payload ?? '');
  });
  await client.connect();
  await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  return async () => {
    await client.end().catch(onError);
  };
}
