/**
 * Finalizing orders split across hubs against orders of one hub (`npm run bench -- split`), on
 * the PostgreSQL server, the service as `npm start` starts it.
 *
 * Three CSV files of BENCH_SPLIT_ORDERS orders (default 50,000), two lines each, 1,000 SKUs:
 * even SKUs are stocked only at hub H0, odd SKUs only at H1 (plenty of each).
 *   - one hub:   two even SKUs, both rows naming H0;
 *   - split:     an even and an odd SKU, the rows naming H0 and H1 (two deliveries per order);
 *   - allocated: an even and an odd SKU, hub_id empty (the service splits them by allocation).
 * Each file is ingested with the finalizer off (roles api + ingest); then the service restarts
 * with every role; the time from the first order finalized to the last is the figure. The three run one after the other in
 * one run, each on a fresh database; the ratio split ÷ one hub is the figure (target ≥ 0.8).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { forEachConcurrently } from '../src/shared/concurrently';
import { createBenchDatabase, lcg, median } from './lib/server-db';
import { record } from './lib/summary';
import { ADMIN, call, peakRssMb, startService, uploadFile } from './lib/service';

const ORDERS = Number(process.env.BENCH_SPLIT_ORDERS || 50_000);
const ROUNDS = Number(process.env.BENCH_SPLIT_ROUNDS || 1);
const SKUS = 1000;
const ALL_SHAPES = ['one hub', 'split', 'allocated'] as const;
type Shape = (typeof ALL_SHAPES)[number];
/** BENCH_SPLIT_SHAPES picks some, e.g. "one hub" alone to time an older checkout. */
const SHAPES = process.env.BENCH_SPLIT_SHAPES ? ALL_SHAPES.filter((s) => process.env.BENCH_SPLIT_SHAPES!.split(',').includes(s)) : ALL_SHAPES;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeFile(file: string, shape: Shape): Promise<void> {
  const random = lcg(11);
  const out = createWriteStream(file);
  out.write('order_id,customer_email,sku,hub_id,quantity,unit_price\n');
  for (let order = 0; order < ORDERS; order++) {
    const even = 2 * random(SKUS / 2);
    const other = shape === 'one hub' ? 2 * random(SKUS / 2) : 2 * random(SKUS / 2) + 1;
    const hubs = shape === 'one hub' ? ['H0', 'H0'] : shape === 'split' ? ['H0', 'H1'] : ['', ''];
    const customer = `c${order % 5000}@bench.io`;
    const line = (sku: number, hub: string) => `O${order},${customer},S${sku},${hub},1,1.00\n`;
    if (!out.write(line(even, hubs[0]!) + line(other === even ? (even + 2) % SKUS : other, hubs[1]!))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A tenant with hubs H0 and H1, SKUs S0…S999, even ones stocked at H0 and odd ones at H1. */
async function seed(url: string): Promise<string> {
  const tenant = await call(url, 'POST', '/tenants', ADMIN, { code: 'bench', name: 'Bench' });
  const { key } = await call(url, 'POST', `/tenants/${tenant.id}/api-keys`, ADMIN);
  for (const hub of ['H0', 'H1']) await call(url, 'POST', '/hubs', key, { code: hub, name: hub });
  const skus = Array.from({ length: SKUS }, (_, s) => s);
  await forEachConcurrently(skus, 8, async (s) => void (await call(url, 'POST', '/skus', key, { code: `S${s}`, name: `SKU ${s}` })));
  await call(
    url,
    'PUT',
    '/inventory',
    key,
    skus.map((s) => ({ hub: s % 2 === 0 ? 'H0' : 'H1', sku: `S${s}`, on_hand: 100_000_000 })),
  );
  return key;
}

/** Ingests the file with the finalizer off, then times every role until none is on_hold: orders/s. */
async function finalizeFile(file: string, round: string): Promise<{ perS: number; rssMb: number }> {
  const database = await createBenchDatabase(`split_${round}`, 1, { migrate: false });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-split-data-'));
  const env = { DATABASE_URL: database.url, DATA_DIR: dir };
  try {
    const ingesting = await startService({ ...env, OMS_ROLES: 'api,ingest' });
    let key: string;
    try {
      key = await seed(ingesting.url);
      const uploadId = await uploadFile(ingesting, key, file);
      for (;;) {
        const upload = await call(ingesting.url, 'GET', `/uploads/${uploadId}`, key);
        if (upload.status === 'failed') throw new Error(`upload failed: ${upload.error}`);
        if (upload.status === 'completed') {
          if (upload.orders_created !== ORDERS) throw new Error(`expected ${ORDERS} orders, the upload made ${upload.orders_created}`);
          break;
        }
        await sleep(250);
      }
    } finally {
      await ingesting.stop();
    }
    const service = await startService(env);
    try {
      while ((await call(service.url, 'GET', '/orders?status=on_hold&limit=1', key)).data.length > 0) await sleep(100);
      const stats = await call(service.url, 'GET', '/stats', key);
      if (stats.orders_by_status.new_order !== ORDERS) throw new Error(`expected ${ORDERS} new orders: ${JSON.stringify(stats.orders_by_status)}`);
      // From the first order finalized to the last, as the database recorded it: the service's
      // start-up (a second or more) is not the finalizer's work.
      const [span] = await database.db.query<{ seconds: number }>(
        "SELECT extract(epoch FROM max(updated_at) - min(updated_at))::float8 AS seconds FROM oms.orders WHERE status = 'new_order'",
      );
      return { perS: Math.round(ORDERS / span!.seconds), rssMb: await peakRssMb(service) };
    } finally {
      await service.stop();
    }
  } finally {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runSplitBench(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-split-'));
  try {
    const files = new Map<Shape, string>();
    for (const shape of SHAPES) {
      const file = path.join(dir, `${shape.replace(' ', '-')}.csv`);
      await writeFile(file, shape);
      files.set(shape, file);
    }
    console.log(`\nSplit orders: ${ORDERS.toLocaleString('en')} orders of 2 lines per file, finalizer alone, PostgreSQL, ${ROUNDS} round(s)`);
    const results = new Map<Shape, number[]>(SHAPES.map((s) => [s, []]));
    let rss = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const shape of SHAPES) {
        const r = await finalizeFile(files.get(shape)!, `${round}_${shape.replace(' ', '_')}`);
        results.get(shape)!.push(r.perS);
        rss = Math.max(rss, r.rssMb);
        console.log(`  round ${round + 1}, ${shape.padEnd(9)}: ${r.perS.toLocaleString('en')} orders/s finalized; peak RSS ${r.rssMb} MB`);
      }
    }
    const one = median(results.get('one hub') ?? []);
    for (const shape of (['split', 'allocated'] as const).filter((s) => SHAPES.includes(s) && SHAPES.includes('one hub'))) {
      const value = median(results.get(shape)!);
      console.log(`  ${shape} ÷ one hub (medians): ${(value / one).toFixed(2)}  (target ≥ 0.80)`);
      record({
        bench: 'split',
        figure: `finalizer, orders ${shape === 'split' ? 'naming two hubs' : 'allocated across two hubs'}`,
        value,
        unit: 'orders/s',
        baseline: { label: 'one hub', value: one },
      });
    }
    record({ bench: 'split', figure: 'peak RSS', value: rss, unit: 'MB' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
