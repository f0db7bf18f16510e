/** A throw-away database on the PostgreSQL server for one benchmark run. */
import pg from 'pg';
import type { Db } from '../../src/db/handle';
import { migrate } from '../../src/db/migrate';
import { openPostgres } from '../../src/db/postgres';

export const SERVER = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/** A new database on the server, migrated unless `migrate` is false (the service, or a peer, sets it up itself). */
export async function createBenchDatabase(name: string, poolSize: number, options: { migrate?: boolean } = {}): Promise<BenchDatabase> {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  const database = `oms_bench_${name}_${process.pid}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  const db = openPostgres({ url: url.toString(), poolSize });
  if (options.migrate !== false) await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** A deterministic 32-bit LCG, so runs draw the same orders. */
export function lcg(seed = 42) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

/** The server's WAL position, in bytes. */
export async function walLsn(url: string): Promise<bigint> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const [row] = (await client.query<{ bytes: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes")).rows;
    return BigInt(row!.bytes);
  } finally {
    await client.end();
  }
}

/** Runs `work`, answering its result and the WAL bytes written meanwhile. */
/** Runs `work`, and answers its result with the WAL bytes written meanwhile (by everything on the server). */
export async function measuringWal<T>(url: string, work: () => Promise<T>): Promise<[T, number]> {
  const before = await walLsn(url);
  const result = await work();
  return [result, Number((await walLsn(url)) - before)];
}
