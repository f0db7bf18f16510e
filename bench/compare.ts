/**
 * This checkout against another revision, side by side in one run (`npm run bench -- compare`;
 * BENCH_BASE names the revision, default HEAD~1): is the change no slower, and does it make the
 * database write more? The other revision runs from a git worktree in .cache/bench-base/<rev>
 * (its node_modules linked to ours when its package-lock.json is ours, else installed there).
 *
 * Each round starts both services in turn (as `npm start` does, every role, one process) on a
 * fresh PostgreSQL database each, and measures over HTTP from a separate process:
 *  - POST /reservations, 32 callers (1 line, a random one of 1,000 SKUs);
 *  - POST /orders, 50 connections (created; finalized in the background as it would be);
 *  - an upload of BENCH_COMPARE_ROWS (20,000) CSV rows, from the 202 to the last order reserved;
 * each with the WAL the database wrote per request or per order (pg_current_wal_lsn before and
 * after). Medians over BENCH_ROUNDS (3) alternating rounds; the ratio is this checkout ÷ base.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { load, seedShop, type LoadResult } from './reservations';
import { createBenchDatabase, measuringWal, median } from './lib/server-db';
import { peakRssMb, startService, uploadFile, type Service } from './lib/service';
import { record } from './lib/summary';

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ROWS = Number(process.env.BENCH_COMPARE_ROWS || 20_000);
const SKUS = 1000;
const HUB = 'H1';

interface Figures {
  reservations_per_s: number;
  reservation_p99_ms: number;
  reservation_wal_bytes: number;
  orders_per_s: number;
  order_wal_bytes: number;
  upload_orders_per_s: number;
  upload_wal_bytes_per_order: number;
  peak_rss_mb: number;
}

/** A worktree of `rev` with dependencies, made once. */
function worktreeOf(rev: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { encoding: 'utf8' }).trim();
  const dir = path.resolve('.cache/bench-base', sha);
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
  }
  if (!existsSync(path.join(dir, 'node_modules'))) {
    const sameLock = readFileSync(path.join(dir, 'package-lock.json'), 'utf8') === readFileSync('package-lock.json', 'utf8');
    if (sameLock) symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
    else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

function makeCsv(rows: number): string {
  const file = path.join(os.tmpdir(), `oms-compare-${rows}.csv`);
  if (existsSync(file)) return file;
  const lines = ['order_id,customer_name,customer_email,sku,hub_id,quantity,unit_price'];
  for (let n = 1; n <= rows; n++) lines.push(`C-${n},Buyer ${n},buyer${n % 1000}@bench.io,S${n % SKUS},${HUB},1,2.50`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** From the upload's 202 to its last order out of on_hold: orders per second. */
async function uploadAndFinalize(service: Service, key: string, url: string, file: string): Promise<number> {
  const began = performance.now();
  await uploadFile(service, key, file);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const [row] = (await client.query<{ done: number }>(`SELECT count(*)::int AS done FROM oms.orders WHERE source = 'csv' AND status = 'new_order'`)).rows;
      if (row!.done >= ROWS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
  return ROWS / ((performance.now() - began) / 1000);
}

async function measure(label: string, dir: string, round: number): Promise<Figures> {
  const database = await createBenchDatabase(`cmp_${label}_${round}`, 1, { migrate: false });
  const service = await startService({ DATABASE_URL: database.url, RATE_LIMIT_MAX: '0', DATA_DIR: path.join(os.tmpdir(), `oms-cmp-${label}-${round}`) }, dir);
  try {
    const key = await seedShop(service);
    const job = (pathName: string, body: string, connections: number) => () =>
      load({ url: service.url, path: pathName, key, connections, seconds: SECONDS, body, skus: SKUS, hub: HUB }) as Promise<LoadResult>;
    const [reservations, reservationWal] = await measuringWal(database.url, job('/reservations', 'reservation', 32));
    const [orders, orderWal] = await measuringWal(database.url, job('/orders', 'order', 50));
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the orders' finalizing settles
    const [uploadRate, uploadWal] = await measuringWal(database.url, () => uploadAndFinalize(service, key, database.url, makeCsv(ROWS)));
    return {
      reservations_per_s: reservations.requests_per_s,
      reservation_p99_ms: reservations.p99_ms,
      reservation_wal_bytes: Math.round(reservationWal / reservations.total),
      orders_per_s: orders.requests_per_s,
      order_wal_bytes: Math.round(orderWal / orders.total),
      upload_orders_per_s: Math.round(uploadRate),
      upload_wal_bytes_per_order: Math.round(uploadWal / ROWS),
      peak_rss_mb: await peakRssMb(service),
    };
  } finally {
    await service.stop();
    await database.drop();
  }
}

export async function runCompareBench(): Promise<void> {
  const base = process.env.BENCH_BASE || 'HEAD~1';
  const baseDir = worktreeOf(base);
  const runs: Record<'head' | 'base', Figures[]> = { head: [], base: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating, and the other way round every other round, so neither side always goes first.
    const order = round % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    for (const side of order) runs[side].push(await measure(side, side === 'head' ? '.' : baseDir, round));
    console.log(`round ${round + 1}: ${JSON.stringify(runs)}`);
  }
  console.log(`\nThis checkout against ${base} (${path.basename(baseDir)}), medians of ${ROUNDS} alternating rounds:`);
  for (const figure of Object.keys(runs.head[0]!) as (keyof Figures)[]) {
    const head = median(runs.head.map((r) => r[figure]));
    const was = median(runs.base.map((r) => r[figure]));
    console.log(`  ${figure.padEnd(28)} ${String(head).padStart(10)}  base ${String(was).padStart(10)}  ratio ${(head / was).toFixed(2)}`);
    record({ bench: 'compare', figure, value: head, unit: '', baseline: { label: `at ${base}`, value: was } });
  }
}
