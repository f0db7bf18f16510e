/**
 * What exactly-once costs (`npm run bench -- idempotency`), on the PostgreSQL server: POST
 * /orders with 50 connections on the service as `npm start` runs it, each request with an
 * Idempotency-Key of its own, against the same requests without one, in alternating rounds
 * (BENCH_ROUNDS, 3; BENCH_SECONDS each). With a key, a request runs in a transaction of its own
 * that claims the key and stores the answer (db/request-transaction.ts), so its order cannot join
 * the group commit that stores the others' orders together: the difference is that price. WAL
 * bytes per order are read from pg_current_wal_lsn() around each run.
 */
import pg from 'pg';
import { createBenchDatabase, median } from './lib/server-db';
import { peakRssMb, startService } from './lib/service';
import { record } from './lib/summary';
import { load, seedShop, withCpu, type LoadResult } from './reservations';

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONNECTIONS = 50;

interface Run extends LoadResult {
  wal_bytes_per_order: number;
}

async function walLsn(db: pg.Client): Promise<bigint> {
  const { rows } = await db.query<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS lsn`);
  return BigInt(rows[0]!.lsn.split('.')[0]!);
}

/** Waits until the finalizer has reserved every order (none on_hold), so that its work does not fall into the next run. */
async function settle(db: pg.Client): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { rows } = await db.query(`SELECT EXISTS (SELECT 1 FROM oms.orders WHERE status = 'on_hold') AS busy`);
    if (!rows[0].busy) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function runIdempotencyBench(): Promise<void> {
  const database = await createBenchDatabase('idempotency', 1, { migrate: false });
  const service = await startService({ DATABASE_URL: database.url, RATE_LIMIT_MAX: '0' });
  const watcher = new pg.Client({ connectionString: database.url });
  await watcher.connect();
  try {
    const key = await seedShop(service);
    const orders = (idempotent: boolean, seconds = SECONDS) =>
      load({ url: service.url, path: '/orders', key, connections: CONNECTIONS, seconds, body: 'order', skus: 1000, hub: 'H1', idempotent });
    await orders(false, 3); // warm-up, both ways
    await orders(true, 3);
    const runs: Record<'plain' | 'keyed', Run[]> = { plain: [], keyed: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const turns: ('plain' | 'keyed')[] = round % 2 === 0 ? ['plain', 'keyed'] : ['keyed', 'plain'];
      for (const turn of turns) {
        await settle(watcher);
        const before = await walLsn(watcher);
        const result = await withCpu(service.pid, () => orders(turn === 'keyed'));
        await settle(watcher); // the finalizer's WAL for these orders counts too
        const wal = Number((await walLsn(watcher)) - before);
        runs[turn].push({ ...result, wal_bytes_per_order: Math.round(wal / Math.max(1, result.statuses['201'] ?? result.total)) });
      }
    }
    const pick = (list: Run[]) => list.find((r) => r.requests_per_s === median(list.map((x) => x.requests_per_s)))!;
    const [plain, keyed] = [pick(runs.plain), pick(runs.keyed)];
    const rss = await peakRssMb(service);
    console.log(`\nPOST /orders, ${CONNECTIONS} connections, median of ${ROUNDS} alternating rounds (service as npm start runs it)`);
    for (const [label, r] of [
      ['without Idempotency-Key', plain],
      ['with an Idempotency-Key each', keyed],
    ] as const) {
      console.log(
        `${label.padEnd(30)} ${String(Math.round(r.requests_per_s)).padStart(6)}/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  ` +
          `${r.server_us} µs service + ${r.postgres_us} µs PostgreSQL CPU per request, ${r.wal_bytes_per_order} WAL bytes per order  ${JSON.stringify(r.statuses)}`,
      );
    }
    console.log(
      `  rounds: without ${runs.plain.map((r) => Math.round(r.requests_per_s)).join(', ')}; with ${runs.keyed.map((r) => Math.round(r.requests_per_s)).join(', ')}/s`,
    );
    console.log(
      `with ÷ without: ${(keyed.requests_per_s / plain.requests_per_s).toFixed(2)}× throughput, p99 ${(keyed.p99_ms / plain.p99_ms).toFixed(2)}×, WAL ${(keyed.wal_bytes_per_order / plain.wal_bytes_per_order).toFixed(2)}×; service peak RSS ${rss} MB`,
    );
    record({
      bench: 'idempotency',
      figure: `POST /orders with Idempotency-Key, ${CONNECTIONS} conns`,
      value: Math.round(keyed.requests_per_s),
      unit: 'req/s',
      baseline: { label: 'the same without a key', value: Math.round(plain.requests_per_s) },
    });
    record({
      bench: 'idempotency',
      figure: 'WAL per order with Idempotency-Key',
      value: keyed.wal_bytes_per_order,
      unit: 'B',
      baseline: { label: 'without a key', value: plain.wal_bytes_per_order },
    });
  } finally {
    await watcher.end();
    await service.stop();
    await database.drop();
  }
}
