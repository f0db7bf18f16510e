/**
 * The bulk pipeline as a user runs it (`npm run bench -- pipeline`): the service started as
 * `npm start` starts it (every default role in one process), a generated CSV (BENCH_ROWS rows,
 * default 1,000,000; 11 columns; 5% invalid; ~1.3 lines per order; 10 hubs × 1,000 SKUs; 5,000
 * customers; stock for everything) uploaded over HTTP from this process, timed from the upload
 * request:
 *  - until the upload is `completed`;
 *  - until every valid order has been finalized (none left on_hold);
 *  - `GET /orders/:id` latency, sampled every 100 ms meanwhile;
 *  - the service's peak RSS (on PGlite, its WASM heap included).
 * Baselines in the same run: on the server, psql `\copy` of the same file into one plain table;
 * on PGlite, `COPY` of the file into one plain table inside PGlite.
 *
 * Then the finalizer alone: BENCH_FINALIZER_ORDERS orders (default 200,000) ingested with the
 * finalizer off (roles api + ingest), then the service restarted with every role, timed until
 * none is on_hold; once with SKUs drawn uniformly and once with every line on one hot SKU.
 *
 * BENCH_ENGINES=postgres,pglite picks the engines; BENCH_PIPELINE=full,finalizer the parts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBenchDatabase, percentile, median } from './lib/server-db';
import { record } from './lib/summary';
import { call, peakRssMb, startService, uploadFile, type Service } from './lib/service';
import { generate, HUBS, seed, SKUS } from './ingest';
import { FINALIZE_FLOOR, INGEST_FLOOR, timeFloor } from './lib/floors';
import { request } from 'undici';
import { openAsBlob } from 'node:fs';

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const FINALIZER_ORDERS = Number(process.env.BENCH_FINALIZER_ORDERS || 200_000);
const ENGINES = (process.env.BENCH_ENGINES || 'postgres,pglite').split(',');
const PARTS = (process.env.BENCH_PIPELINE || 'full,finalizer').split(',');
const BIG_UPLOADS = { MAX_UPLOAD_BYTES: String(4 * 1024 ** 3) };
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PLAIN_TABLE = `CREATE TABLE bench_copy_orders (
  order_id text, customer_name text, customer_email text, product_name text, sku text, hub_id text,
  quantity text, unit_price text, total_amount text, order_date text, shipping_address text)`;

interface Engine {
  name: 'postgres' | 'pglite';
  /** The service's environment on an empty database of this engine. */
  emptyDatabase(): Promise<Record<string, string>>;
  /** Raw COPY of the file into one plain table on this engine, in seconds. */
  rawCopy(file: string): Promise<number>;
  done(): Promise<void>;
}

function postgresEngine(dir: string): Engine {
  const databases: { url: string; drop(): Promise<void> }[] = [];
  return {
    name: 'postgres',
    async emptyDatabase() {
      const bench = await createBenchDatabase(`pipeline_${databases.length}`, 1);
      databases.push(bench);
      return { DATABASE_URL: bench.url, DATA_DIR: path.join(dir, `pg-${databases.length}`) };
    },
    async rawCopy(file) {
      const { url } = databases.at(-1)!;
      await run('psql', [url, '-qc', PLAIN_TABLE]);
      const started = performance.now();
      await run('psql', [url, '-qc', `\\copy bench_copy_orders FROM '${file}' WITH (FORMAT csv, HEADER true)`]);
      const seconds = (performance.now() - started) / 1000;
      await run('psql', [url, '-qc', 'DROP TABLE bench_copy_orders']);
      return seconds;
    },
    async done() {
      for (const db of databases) await db.drop().catch(() => undefined);
    },
  };
}

function pgliteEngine(dir: string): Engine {
  let round = 0;
  return {
    name: 'pglite',
    async emptyDatabase() {
      return { DATA_DIR: path.join(dir, `pglite-${round++}`) };
    },
    async rawCopy(file) {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create({ dataDir: path.join(dir, 'pglite-copy') });
      try {
        await db.exec(PLAIN_TABLE);
        const blob = await openAsBlob(file);
        const started = performance.now();
        await db.query("COPY bench_copy_orders FROM '/dev/blob' WITH (FORMAT csv, HEADER true)", [], { blob });
        return (performance.now() - started) / 1000;
      } finally {
        await db.close();
        await rm(path.join(dir, 'pglite-copy'), { recursive: true, force: true });
      }
    },
    async done() {},
  };
}

/** Where a floor runs: the service's database (its process stopped, for PGlite's one owner). */
const floorTarget = (database: Record<string, string>) =>
  database.DATABASE_URL ? { url: database.DATABASE_URL } : { pgliteDir: path.join(database.DATA_DIR!, 'pglite') };

/** Every 100 ms, one GET /orders/:id; answers the latencies when stopped. */
function sampleReads(service: Service, key: string, orderId: string) {
  const latencies: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const res = await request(`${service.url}/orders/${orderId}`, { headers: { authorization: `Bearer ${key}` } });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET /orders/:id answered ${res.statusCode}`);
      const ms = performance.now() - started;
      latencies.push(ms);
      await sleep(Math.max(0, 100 - ms));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return latencies;
  };
}

async function uploadDone(service: Service, key: string, uploadId: string) {
  const upload = await call(service.url, 'GET', `/uploads/${uploadId}`, key);
  if (upload.status === 'failed') throw new Error(`upload failed: ${upload.error}`);
  return upload.status === 'completed' ? upload : undefined;
}

const onHoldLeft = async (service: Service, key: string) => (await call(service.url, 'GET', '/orders?status=on_hold&limit=1', key)).data.length > 0;

/** Stock for every SKU at every hub, far more than the file asks. */
async function stockEverything(service: Service, key: string) {
  for (let h = 0; h < HUBS; h++) {
    const updates = Array.from({ length: SKUS }, (_, s) => ({ hub: `H${h}`, sku: `S${s}`, on_hand: 100_000_000 }));
    await call(service.url, 'PUT', '/inventory', key, updates);
  }
}

async function fullPipeline(engine: Engine, database: Record<string, string>, file: string, invalid: number) {
  const copySeconds = await engine.rawCopy(file);
  const service = await startService({ ...database, ...BIG_UPLOADS });
  try {
    const key = await seed(service);
    await stockEverything(service, key);
    const probe = await call(service.url, 'POST', '/orders', key, {
      reference: 'PROBE',
      hub: 'H0',
      customer: { name: 'P', email: 'p@bench.io' },
      items: [{ sku: 'S0', quantity: 1 }],
    });
    const stopSampling = sampleReads(service, key, probe.id);
    const started = performance.now();
    const uploadId = await uploadFile(service, key, file);
    let completedSeconds = 0;
    let finished: any;
    for (;;) {
      await sleep(250);
      if (!finished) {
        finished = await uploadDone(service, key, uploadId);
        if (finished) completedSeconds = (performance.now() - started) / 1000;
      }
      if (finished && !(await onHoldLeft(service, key))) break;
    }
    const finalizedSeconds = (performance.now() - started) / 1000;
    const latencies = await stopSampling();
    const stats = await call(service.url, 'GET', '/stats', key);
    const rss = await peakRssMb(service);
    const validOrders = finished.orders_created as number;
    if (stats.orders_by_status.new_order !== validOrders + 1)
      throw new Error(`expected ${validOrders + 1} new orders, found ${JSON.stringify(stats.orders_by_status)}`);
    if (finished.rows_invalid !== invalid) throw new Error(`expected ${invalid} invalid rows, the upload says ${finished.rows_invalid}`);
    const completedPerS = Math.round(ROWS / completedSeconds);
    const finalizedPerS = Math.round(ROWS / finalizedSeconds);
    const copyPerS = Math.round(ROWS / copySeconds);
    const p50 = median(latencies);
    const p99 = percentile(latencies, 99);
    const label = engine.name === 'postgres' ? 'PostgreSQL' : 'PGlite';
    console.log(
      `${engine.name.padEnd(9)} upload → completed ${completedSeconds.toFixed(1)} s = ${completedPerS} rows/s; → every valid order finalized (${validOrders} orders) ${finalizedSeconds.toFixed(1)} s = ${finalizedPerS} rows/s`,
    );
    console.log(
      `          raw COPY of the file into one plain table ${copySeconds.toFixed(1)} s = ${copyPerS} rows/s → completed÷COPY ${(completedPerS / copyPerS).toFixed(3)}, finalized÷COPY ${(finalizedPerS / copyPerS).toFixed(3)}`,
    );
    console.log(`          GET /orders/:id meanwhile (${latencies.length} samples): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; peak RSS ${rss} MB`);
    record({
      bench: 'pipeline',
      figure: `${label}: upload → completed, ${ROWS.toLocaleString('en')} rows`,
      value: completedPerS,
      unit: 'rows/s',
      baseline: { label: 'raw COPY', value: copyPerS },
    });
    record({
      bench: 'pipeline',
      figure: `${label}: upload → every valid order finalized`,
      value: finalizedPerS,
      unit: 'rows/s',
      baseline: { label: 'raw COPY', value: copyPerS },
    });
    record({ bench: 'pipeline', figure: `${label}: GET /orders/:id p99 meanwhile`, value: p99, unit: 'ms' });
    record({ bench: 'pipeline', figure: `${label}: peak RSS`, value: rss, unit: 'MB' });
    return {
      completed_s: completedSeconds,
      completed_rows_per_s: completedPerS,
      finalized_s: finalizedSeconds,
      finalized_rows_per_s: finalizedPerS,
      copy_rows_per_s: copyPerS,
      read_p50_ms: p50,
      read_p99_ms: p99,
      peak_rss_mb: rss,
      orders: validOrders,
    };
  } finally {
    await service.stop();
  }
}

/** The ingest floor on the pipeline's database, after the run (the service stopped). */
async function ingestFloor(engine: Engine, database: Record<string, string>, completedPerS: number) {
  const seconds = await timeFloor(floorTarget(database), INGEST_FLOOR);
  const perS = Math.round(ROWS / seconds);
  const label = engine.name === 'postgres' ? 'PostgreSQL' : 'PGlite';
  console.log(
    `          ingest floor (its orders + order.created events written again by INSERT … SELECT into tables with our indexes and FK) ${seconds.toFixed(1)} s = ${perS} rows/s → completed÷floor ${(completedPerS / perS).toFixed(2)}`,
  );
  record({
    bench: 'pipeline',
    figure: `${label}: upload → completed, against the ingest floor`,
    value: completedPerS,
    unit: 'rows/s',
    baseline: { label: 'the same writes in SQL', value: perS },
  });
  return { seconds, rows_per_s: perS };
}

/** Orders ingested with the finalizer off, then the service restarted with every role: time until none is on_hold. */
async function finalizerAlone(engine: Engine, file: string, orders: number) {
  const database = await engine.emptyDatabase();
  const ingesting = await startService({ ...database, ...BIG_UPLOADS, OMS_ROLES: 'api,ingest' });
  let key: string;
  try {
    key = await seed(ingesting);
    await stockEverything(ingesting, key);
    const uploadId = await uploadFile(ingesting, key, file);
    while (!(await uploadDone(ingesting, key, uploadId))) await sleep(250);
  } finally {
    await ingesting.stop();
  }
  const floorSeconds = await timeFloor(floorTarget(database), FINALIZE_FLOOR);
  const started = performance.now();
  const service = await startService(database);
  try {
    while (await onHoldLeft(service, key)) await sleep(100);
    const seconds = (performance.now() - started) / 1000;
    const stats = await call(service.url, 'GET', '/stats', key);
    if (stats.orders_by_status.new_order !== orders) throw new Error(`expected ${orders} new orders, found ${JSON.stringify(stats.orders_by_status)}`);
    return {
      seconds,
      per_s: Math.round(orders / seconds),
      peak_rss_mb: await peakRssMb(service),
      floor_seconds: floorSeconds,
      floor_per_s: Math.round(orders / floorSeconds),
    };
  } finally {
    await service.stop();
  }
}

export async function runPipelineBench(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-pipeline-'));
  const report: Record<string, unknown> = { bench: 'pipeline', rows: ROWS };
  try {
    const file = path.join(dir, 'orders.csv');
    const uniform = path.join(dir, 'finalizer-uniform.csv');
    const hot = path.join(dir, 'finalizer-hot.csv');
    const invalid = PARTS.includes('full') ? (await generate(file, ROWS)).invalid : 0;
    // ~1.3 lines per order: rows for FINALIZER_ORDERS orders, all valid.
    const finalizerRows = Math.round(FINALIZER_ORDERS * 1.3);
    const finalizerOrders = PARTS.includes('finalizer')
      ? {
          uniform: (await generate(uniform, finalizerRows, { invalidShare: 0 })).orders,
          hot: (await generate(hot, finalizerRows, { invalidShare: 0, hotSku: true })).orders,
        }
      : { uniform: 0, hot: 0 };
    for (const name of ENGINES) {
      const engine = name === 'postgres' ? postgresEngine(dir) : pgliteEngine(dir);
      const result: Record<string, unknown> = {};
      try {
        if (PARTS.includes('full')) {
          console.log(
            `\nPipeline, ${name}: ${ROWS.toLocaleString('en')} rows (${invalid.toLocaleString('en')} invalid), the service as npm start runs it (every role, one process)`,
          );
          const database = await engine.emptyDatabase();
          const full = await fullPipeline(engine, database, file, invalid);
          result.full = { ...full, ingest_floor: await ingestFloor(engine, database, full.completed_rows_per_s) };
        }
        if (PARTS.includes('finalizer')) {
          const label = name === 'postgres' ? 'PostgreSQL' : 'PGlite';
          const results: Record<string, Awaited<ReturnType<typeof finalizerAlone>>> = {};
          for (const [shape, csv, orders] of [
            ['uniform', uniform, finalizerOrders.uniform],
            ['hot SKU', hot, finalizerOrders.hot],
          ] as const) {
            const r = await finalizerAlone(engine, csv, orders);
            results[shape] = r;
            console.log(
              `${name.padEnd(9)} finalizer alone, ${orders.toLocaleString('en')} orders on_hold, ${shape}: ${r.seconds.toFixed(1)} s = ${r.per_s} orders/s; peak RSS ${r.peak_rss_mb} MB`,
            );
            console.log(
              `          finalize floor (the same writes set-based in SQL, rolled back) ${r.floor_seconds.toFixed(1)} s = ${r.floor_per_s} orders/s → finalizer÷floor ${(r.per_s / r.floor_per_s).toFixed(2)}`,
            );
          }
          record({
            bench: 'pipeline',
            figure: `${label}: finalizer alone, uniform, against its floor`,
            value: results.uniform!.per_s,
            unit: 'orders/s',
            baseline: { label: 'the same writes in SQL', value: results.uniform!.floor_per_s },
          });
          record({
            bench: 'pipeline',
            figure: `${label}: finalizer alone, ${FINALIZER_ORDERS.toLocaleString('en')} orders, uniform`,
            value: results.uniform!.per_s,
            unit: 'orders/s',
          });
          record({
            bench: 'pipeline',
            figure: `${label}: finalizer alone, one hot SKU`,
            value: results['hot SKU']!.per_s,
            unit: 'orders/s',
            baseline: { label: 'uniform', value: results.uniform!.per_s },
          });
          result.finalizer = results;
          const full = result.full as { orders: number; finalized_rows_per_s: number; ingest_floor: { rows_per_s: number } } | undefined;
          if (full) {
            // Both floors one after the other, in file rows per second: what ingesting and
            // finalizing cost when nothing runs side by side (PGlite's one thread).
            const finalizeRowsPerS = results.uniform!.floor_per_s * (ROWS / full.orders);
            const both = Math.round(1 / (1 / full.ingest_floor.rows_per_s + 1 / finalizeRowsPerS));
            console.log(
              `${name.padEnd(9)} both floors in turn (ingest, then finalize): ${both} rows/s → upload → finalized ÷ that ${(full.finalized_rows_per_s / both).toFixed(2)}`,
            );
            record({
              bench: 'pipeline',
              figure: `${label}: upload → finalized, against both floors in turn`,
              value: full.finalized_rows_per_s,
              unit: 'rows/s',
              baseline: { label: 'ingest + finalize floors', value: both },
            });
            result.both_floors_rows_per_s = both;
          }
        }
      } finally {
        await engine.done();
      }
      report[name] = result;
    }
    console.log(JSON.stringify(report));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
