/**
 * Ingest benchmark (`npm run bench -- ingest`): a generated CSV in the 11-column layout
 * (BENCH_ROWS rows, default 1,000,000; 5% invalid; 10 hubs × 1,000 SKUs; ~1.3 lines per order)
 * uploaded to a service started as its own process (roles api + ingest), timed from the upload
 * request to `completed`, with the process's peak RSS:
 *  - on the PostgreSQL server, against a raw COPY of the same file into an equivalent table,
 *    run by psql in the same run;
 *  - on embedded PGlite (its WASM heap counts in the process's RSS: reported as is).
 *  - on the PostgreSQL server again with the scale-out engines (BENCH_ENGINE_ROWS rows, default
 *    200,000): the files in S3 (s3rver) and/or the ingest job on SQS (fauxqs), both started
 *    here on loopback, against the local directory and the table queue in the same run.
 * BENCH_ENGINES=postgres,pglite,engines picks what runs.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { forEachConcurrently } from '../src/shared/concurrently';
import { createBenchDatabase, lcg } from './lib/server-db';
import { record } from './lib/summary';
import { ADMIN, call, peakRssMb, startService, uploadFile, type Service } from './lib/service';

const INGEST_ROLES = { OMS_ROLES: 'api,ingest', MAX_UPLOAD_BYTES: String(4 * 1024 ** 3) };
import { ENGINE_CREDENTIALS, startS3, startSqs } from '../test/helpers/emulators';

const ROWS = Number(process.env.BENCH_ROWS || 1_000_000);
const ENGINES = (process.env.BENCH_ENGINES || 'postgres,pglite,engines').split(',');
const ENGINE_ROWS = Number(process.env.BENCH_ENGINE_ROWS || 200_000);
export const HUBS = 10;
export const SKUS = 1000;
const HEADER = 'order_id,customer_name,customer_email,product_name,sku,hub_id,quantity,unit_price,total_amount,order_date,shipping_address';
const run = promisify(execFile);

export interface FileShape {
  /** Share of rows invalid by construction (an unknown SKU); default 5%. */
  invalidShare?: number;
  /** Every line names the same SKU at the same hub (the hot-SKU case). */
  hotSku?: boolean;
}

/** Writes the CSV; answers how many rows are invalid by construction, and how many orders it holds. */
export async function generate(file: string, rows: number, shape: FileShape = {}): Promise<{ invalid: number; orders: number }> {
  const invalidShare = shape.invalidShare ?? 0.05;
  const random = lcg(7);
  const out = createWriteStream(file);
  out.write(`${HEADER}\n`);
  let invalid = 0;
  let buffer = '';
  let order = 0;
  for (let row = 0; row < rows; order++) {
    const lines = random(10) < 3 ? 2 : 1; // ~1.3 lines per order
    const hub = shape.hotSku ? 'H0' : `H${random(HUBS)}`;
    const customer = `Customer ${order % 5000},c${order % 5000}@bench.io`;
    for (let k = 0; k < lines && row < rows; k++, row++) {
      // 5% invalid rows, in single-line orders so that no valid line is dragged down with them
      const bad = lines === 1 && random(100) < 7 && invalid < rows * invalidShare;
      if (bad) invalid++;
      const qty = 1 + random(3);
      const price = `${1 + random(90)}.${String(random(100)).padStart(2, '0')}`;
      const total = ((Math.round(Number(price) * 100) * qty) / 100).toFixed(2);
      buffer += `B${order},${customer},Product,${bad ? 'NOPE' : shape.hotSku ? 'S0' : `S${random(SKUS)}`},${hub},${qty},${price},${total},2026-01-${String(1 + (order % 28)).padStart(2, '0')},"${order} Nile St, Cairo"\n`;
    }
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return { invalid, orders: order };
}

export async function seed(service: Service): Promise<string> {
  const tenant = await call(service.url, 'POST', '/tenants', ADMIN, { code: 'bench', name: 'Bench' });
  const { key } = await call(service.url, 'POST', `/tenants/${tenant.id}/api-keys`, ADMIN);
  for (let h = 0; h < HUBS; h++) await call(service.url, 'POST', '/hubs', key, { code: `H${h}`, name: `Hub ${h}` });
  await forEachConcurrently(
    Array.from({ length: SKUS }, (_, s) => s),
    8,
    async (s) => {
      await call(service.url, 'POST', '/skus', key, { code: `S${s}`, name: `SKU ${s}` });
    },
  );
  return key;
}

async function timeIngest(service: Service, key: string, file: string) {
  const started = performance.now();
  const uploadId = await uploadFile(service, key, file);
  const uploadedMs = performance.now() - started;
  const uploadPeakRssMb = await peakRssMb(service);
  let upload: any;
  for (;;) {
    upload = await call(service.url, 'GET', `/uploads/${uploadId}`, key);
    if (upload.status === 'completed' || upload.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  if (upload.status !== 'completed') throw new Error(`upload failed: ${upload.error}`);
  return { seconds, uploadedMs, upload, uploadPeakRssMb, peakRssMb: await peakRssMb(service) };
}

async function rawCopy(url: string, file: string): Promise<number> {
  const ddl = `DROP TABLE IF EXISTS bench_copy_orders; CREATE TABLE bench_copy_orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id text NOT NULL, customer_name text, customer_email text, product_name text,
    sku text NOT NULL, hub_id text NOT NULL, quantity text, unit_price numeric(16,2), total_amount numeric(16,2), order_date date, shipping_address text)`;
  await run('psql', [url, '-qc', ddl]);
  const started = performance.now();
  await run('psql', [url, '-qc', `\\copy bench_copy_orders (${HEADER}) FROM '${file}' WITH (FORMAT csv, HEADER true)`]);
  return (performance.now() - started) / 1000;
}

/**
 * The write floor: the orders and order.created events the service stored, written again with
 * COPY into tables with the same columns, indexes and customer foreign key. No parsing, no
 * validation, no look-ups: what storing these rows costs on this machine by the fastest path.
 */
async function writeFloor(url: string, dir: string): Promise<number> {
  const orders = path.join(dir, 'floor-orders.tsv');
  const events = path.join(dir, 'floor-events.tsv');
  await run('psql', [
    url,
    '-q',
    '-c',
    'DROP TABLE IF EXISTS bench_floor_orders, bench_floor_events',
    '-c',
    'CREATE TABLE bench_floor_orders (LIKE oms.orders INCLUDING ALL)',
    '-c',
    'ALTER TABLE bench_floor_orders ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES oms.customers (tenant_id, id)',
    '-c',
    'CREATE TABLE bench_floor_events (LIKE oms.events INCLUDING ALL)',
    '-c',
    `\\copy oms.orders TO '${orders}'`,
    '-c',
    `\\copy (SELECT id, type, tenant_id, key, data FROM oms.events WHERE type = 'order.created') TO '${events}'`,
  ]);
  const started = performance.now();
  await run('psql', [
    url,
    '-q',
    '-1',
    '-c',
    `\\copy bench_floor_orders FROM '${orders}'`,
    '-c',
    `\\copy bench_floor_events (id, type, tenant_id, key, data) FROM '${events}'`,
  ]);
  return (performance.now() - started) / 1000;
}

/** The same write floor on PGlite: its COPY reads and writes a blob instead of a file. */
async function pgliteWriteFloor(dataDir: string): Promise<number> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir });
  try {
    await db.exec(`
      CREATE TABLE bench_floor_orders (LIKE oms.orders INCLUDING ALL);
      ALTER TABLE bench_floor_orders ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES oms.customers (tenant_id, id);
      CREATE TABLE bench_floor_events (LIKE oms.events INCLUDING ALL);`);
    const orders = (await db.query("COPY oms.orders TO '/dev/blob'")).blob;
    const events = (await db.query("COPY (SELECT id, type, tenant_id, key, data FROM oms.events WHERE type = 'order.created') TO '/dev/blob'")).blob;
    const started = performance.now();
    await db.transaction(async (tx) => {
      await tx.query("COPY bench_floor_orders FROM '/dev/blob'", [], { blob: orders });
      await tx.query("COPY bench_floor_events (id, type, tenant_id, key, data) FROM '/dev/blob'", [], { blob: events });
    });
    return (performance.now() - started) / 1000;
  } finally {
    await db.close();
  }
}

export async function runIngestBench(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-ingest-'));
  const file = path.join(dir, 'orders.csv');
  const report: Record<string, unknown> = { bench: 'ingest', rows: ROWS };
  try {
    const invalid = ENGINES.includes('postgres') || ENGINES.includes('pglite') ? (await generate(file, ROWS)).invalid : 0;
    report.invalid_rows = invalid;
    if (invalid > 0)
      console.log(
        `\nCSV ingest of ${ROWS.toLocaleString('en')} rows (${invalid.toLocaleString('en')} invalid), upload → completed, service in its own process (api + ingest)`,
      );
    if (ENGINES.includes('postgres')) {
      const bench = await createBenchDatabase('ingest', 4);
      try {
        const copySeconds = await rawCopy(bench.url, file);
        const service = await startService({ DATABASE_URL: bench.url, DATA_DIR: path.join(dir, 'pg-data'), ...INGEST_ROLES });
        try {
          const key = await seed(service);
          const r = await timeIngest(service, key, file);
          const floorSeconds = await writeFloor(bench.url, dir);
          const rowsPerS = Math.round(ROWS / r.seconds);
          const copyPerS = Math.round(ROWS / copySeconds);
          const floorPerS = Math.round(ROWS / floorSeconds);
          console.log(
            `postgres  service ${r.seconds.toFixed(1)} s = ${rowsPerS} rows/s (upload request ${Math.round(r.uploadedMs)} ms); peak RSS ${r.peakRssMb} MB (${r.uploadPeakRssMb} MB by the end of the upload request); orders ${r.upload.orders_created}, valid ${r.upload.rows_valid}, invalid ${r.upload.rows_invalid}`,
          );
          console.log(
            `          raw COPY of the file into one plain table ${copySeconds.toFixed(1)} s = ${copyPerS} rows/s → service÷COPY ${(rowsPerS / copyPerS).toFixed(2)}`,
          );
          console.log(
            `          write floor (COPY of the stored orders + events into tables with our indexes and FK) ${floorSeconds.toFixed(1)} s = ${floorPerS} rows/s → service÷floor ${(rowsPerS / floorPerS).toFixed(2)}, floor÷COPY ${(floorPerS / copyPerS).toFixed(2)}`,
          );
          record({
            bench: 'ingest',
            figure: `CSV ingest, PostgreSQL, ${ROWS.toLocaleString('en')} rows`,
            value: rowsPerS,
            unit: 'rows/s',
            baseline: { label: 'raw COPY', value: copyPerS },
          });
          record({
            bench: 'ingest',
            figure: 'CSV ingest, PostgreSQL, against the write floor',
            value: rowsPerS,
            unit: 'rows/s',
            baseline: { label: 'COPY into our tables', value: floorPerS },
          });
          record({ bench: 'ingest', figure: 'CSV ingest, PostgreSQL, peak RSS', value: r.peakRssMb, unit: 'MB' });
          report.postgres = {
            seconds: r.seconds,
            rows_per_s: rowsPerS,
            copy_seconds: copySeconds,
            copy_rows_per_s: copyPerS,
            ratio: Number((rowsPerS / copyPerS).toFixed(2)),
            floor_seconds: floorSeconds,
            floor_rows_per_s: floorPerS,
            ratio_to_floor: Number((rowsPerS / floorPerS).toFixed(2)),
            peak_rss_mb: r.peakRssMb,
            upload_peak_rss_mb: r.uploadPeakRssMb,
            upload: r.upload,
          };
        } finally {
          await service.stop();
        }
      } finally {
        await bench.drop().catch(() => undefined);
      }
    }
    if (ENGINES.includes('pglite')) {
      const dataDir = path.join(dir, 'pglite-data');
      const service = await startService({ DATA_DIR: dataDir, ...INGEST_ROLES });
      let r: Awaited<ReturnType<typeof timeIngest>>;
      try {
        const key = await seed(service);
        r = await timeIngest(service, key, file);
      } finally {
        await service.stop();
      }
      const floorSeconds = await pgliteWriteFloor(path.join(dataDir, 'pglite'));
      const rowsPerS = Math.round(ROWS / r.seconds);
      const floorPerS = Math.round(ROWS / floorSeconds);
      console.log(
        `pglite    service ${r.seconds.toFixed(1)} s = ${rowsPerS} rows/s; peak RSS ${r.peakRssMb} MB (includes PGlite's WASM heap); orders ${r.upload.orders_created}, valid ${r.upload.rows_valid}, invalid ${r.upload.rows_invalid}`,
      );
      console.log(
        `          write floor (COPY of the stored orders + events into tables with our indexes and FK) ${floorSeconds.toFixed(1)} s = ${floorPerS} rows/s → service÷floor ${(rowsPerS / floorPerS).toFixed(2)}`,
      );
      record({
        bench: 'ingest',
        figure: `CSV ingest, PGlite, ${ROWS.toLocaleString('en')} rows`,
        value: rowsPerS,
        unit: 'rows/s',
        baseline: { label: 'COPY into our tables', value: floorPerS },
      });
      report.pglite = {
        seconds: r.seconds,
        rows_per_s: rowsPerS,
        floor_seconds: floorSeconds,
        floor_rows_per_s: floorPerS,
        ratio_to_floor: Number((rowsPerS / floorPerS).toFixed(2)),
        peak_rss_mb: r.peakRssMb,
        upload: r.upload,
      };
    }
    if (ENGINES.includes('engines')) report.engines = await enginesBench(dir);
    console.log(JSON.stringify(report));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same upload with the object store on S3 and/or the queue on SQS: the cost of each engine. */
async function enginesBench(dir: string) {
  const file = path.join(dir, 'engines.csv');
  await generate(file, ENGINE_ROWS);
  const variants = ['local directory + table queue', 'S3 (s3rver) + table queue', 'local directory + SQS (fauxqs)', 'S3 (s3rver) + SQS (fauxqs)'];
  const results: { variant: string; rows_per_s: number }[] = [];
  console.log(`
CSV ingest of ${ENGINE_ROWS.toLocaleString('en')} rows on PostgreSQL, by object store and queue engine (emulators on loopback)`);
  for (const variant of variants) {
    const bench = await createBenchDatabase('ingest_engines', 4);
    const s3 = variant.startsWith('S3') ? await startS3('bench-uploads') : undefined;
    const sqs = variant.includes('SQS') ? await startSqs() : undefined;
    try {
      const env: Record<string, string> = {
        DATABASE_URL: bench.url,
        DATA_DIR: path.join(dir, `engines-${results.length}`),
        AWS_ACCESS_KEY_ID: ENGINE_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ENGINE_CREDENTIALS.secretAccessKey,
      };
      if (s3) Object.assign(env, { S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' });
      if (sqs) Object.assign(env, { SQS_QUEUE_URL: await sqs.createQueue('bench-ingest'), SQS_ENDPOINT: sqs.endpoint });
      const service = await startService({ ...env, ...INGEST_ROLES });
      try {
        const key = await seed(service);
        const r = await timeIngest(service, key, file);
        const rowsPerS = Math.round(ENGINE_ROWS / r.seconds);
        results.push({ variant, rows_per_s: rowsPerS });
        const base = results[0]!.rows_per_s;
        console.log(
          `${variant.padEnd(32)} ${r.seconds.toFixed(1).padStart(6)} s = ${String(rowsPerS).padStart(6)} rows/s   ÷ local+table ${(rowsPerS / base).toFixed(2)}`,
        );
        if (results.length > 1)
          record({
            bench: 'ingest',
            figure: `CSV ingest, ${variant}`,
            value: rowsPerS,
            unit: 'rows/s',
            baseline: { label: 'local dir + table queue', value: base },
          });
      } finally {
        await service.stop();
      }
    } finally {
      await s3?.stop();
      await sqs?.stop();
      await bench.drop().catch(() => undefined);
    }
  }
  return results;
}
