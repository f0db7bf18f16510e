/**
 * Orders benchmarks, all in one run (`npm run bench -- orders`):
 *  1. finalize: orders/s from created to new_order on the PostgreSQL server — the finalizer
 *     (batched event consumption + batch reservation) versus a raw baseline the bench runs
 *     itself (one order per transaction over 32 connections: claim, conditional UPDATE per line
 *     with its ledger row, order update, outbox event); uniform SKUs and one hot SKU.
 *  2. http: POST /orders through a listening server, 50 connections (autocannon): with the
 *     finalizer in the process, api role only, and the machine's floor (a bare route doing one
 *     INSERT) in the same run. BENCH_HTTP=finalizer,api,floor picks variants.
 *  3. latency: created → new_order p50/p99 at a steady 100 orders/s, on the server and PGlite.
 * BENCH_PARTS=finalize,http,latency picks parts; BENCH_ROUNDS, BENCH_ORDERS size them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index';
import type { RawEnv } from '../src/config/environment';
import { createContext, prepareDatabase, type AppContext } from '../src/context';
import { migrate } from '../src/db/migrate';
import { openPglite } from '../src/db/pglite';
import { buildApp } from '../src/http/app';
import { startFinalizer } from '../src/oms/orders/finalizer-role';
import { forEachConcurrently } from '../src/shared/concurrently';
import { rawReserveInTransaction } from './lib/raw-reserve';
import { startFloorServer } from './lib/floor-server';
import { createBenchDatabase, lcg, median, percentile } from './lib/server-db';
import { record } from './lib/summary';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ORDERS = Number(process.env.BENCH_ORDERS || 3000);
const run = promisify(execFile);
const PARTS = (process.env.BENCH_PARTS || 'finalize,http,latency').split(',');
const ADMIN = 'bench-admin-key-0123456789';
const HUBS = 10;
const SKUS = 1000;

interface Shop {
  tenantId: string;
  key: string;
}

function contextFor(db: AppContext['db'], env: RawEnv = {}): AppContext {
  // One key sends thousands of requests a second here: the per-key rate limit (a policy, see the
  // README's Limits) is off, so that the bench measures the service rather than the policy.
  return createContext({
    config: loadConfig({ OMS_ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', ...env }),
    logger: pino({ level: 'silent' }),
    db,
  });
}

async function openShop(ctx: AppContext, code: string): Promise<Shop> {
  const tenant = await ctx.ims.tenants.create({ code, name: code });
  for (let h = 0; h < HUBS; h++) await ctx.ims.catalog.create(tenant.id, 'hub', { code: `H${h}`, name: `Hub ${h}` });
  for (let s = 0; s < SKUS; s++) await ctx.ims.catalog.create(tenant.id, 'sku', { code: `S${s}`, name: `SKU ${s}` });
  for (let h = 0; h < HUBS; h++) {
    await ctx.ims.stock.put(
      tenant.id,
      Array.from({ length: SKUS }, (_, s) => ({ hub: `H${h}`, sku: `S${s}`, on_hand: 1_000_000_000 })),
      true,
    );
  }
  const key = (await ctx.ims.tenants.createApiKey(tenant.id)).key;
  return { tenantId: tenant.id, key };
}

type Scenario = 'uniform' | 'hot';

async function placeOrders(ctx: AppContext, shop: Shop, scenario: Scenario, n: number, random: (n: number) => number): Promise<void> {
  await forEachConcurrently(Array.from({ length: n }), 32, async () => {
    const items =
      scenario === 'hot'
        ? [{ sku: 'S0', quantity: 1 }]
        : [
            { sku: `S${random(SKUS / 2)}`, quantity: 1 + random(2) },
            { sku: `S${SKUS / 2 + random(SKUS / 2)}`, quantity: 1 },
          ];
    await ctx.oms.orders.create(shop.tenantId, { customer: { name: 'B', email: 'b@bench.io' }, hub: scenario === 'hot' ? 'H0' : `H${random(HUBS)}`, items });
  });
}

/** Moves the finalizer's offset to the end of the log: earlier events are not its to measure. */
async function skipBacklog(ctx: AppContext): Promise<void> {
  await ctx.db.query(
    `INSERT INTO oms.consumer_offsets (consumer, tx_id, seq)
     SELECT 'finalizer', tx_id, seq FROM oms.events ORDER BY tx_id DESC, seq DESC LIMIT 1
     ON CONFLICT (consumer) DO UPDATE SET tx_id = EXCLUDED.tx_id, seq = EXCLUDED.seq`,
  );
}

/** The baseline: each held order finalized in its own transaction, written by hand against pg. */
async function rawFinalize(pool: pg.Pool, tenantId: string): Promise<number> {
  const { rows: orders } = await pool.query<{ id: string; hub_id: string; items: { sku_id: string; quantity: number }[] }>(
    `SELECT id, hub_id, items FROM oms.orders WHERE tenant_id = $1 AND status = 'on_hold' ORDER BY id`,
    [tenantId],
  );
  const started = performance.now();
  await forEachConcurrently(orders, 32, async (order) => {
    const lines = [...order.items].sort((a, b) => (a.sku_id < b.sku_id ? -1 : 1));
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      if (!(await rawReserveInTransaction(client, tenantId, order.id, order.hub_id, lines))) throw new Error('baseline ran out of stock');
      const moved = await client.query(
        `UPDATE oms.orders SET status = 'new_order', updated_at = now() WHERE tenant_id = $1 AND id = $2 AND status = 'on_hold' RETURNING row_to_json(orders.*) AS o`,
        [tenantId, order.id],
      );
      await client.query(
        `INSERT INTO oms.events (tenant_id, type, key, data) VALUES ($1, 'order.updated', $2, json_build_object('order', $3::json, 'previous_status', 'on_hold'))`,
        [tenantId, order.id, moved.rows[0].o],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  });
  return orders.length / ((performance.now() - started) / 1000);
}

async function countStatus(ctx: AppContext, tenantId: string, status: string): Promise<number> {
  const rows = await ctx.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 AND status = $2', [tenantId, status]);
  return rows[0]!.n;
}

async function finalizeBench(): Promise<Record<string, unknown>[]> {
  const bench = await createBenchDatabase('orders', 32);
  const pool = new pg.Pool({ connectionString: bench.url, max: 32 });
  pool.on('error', () => {});
  try {
    const ctx = contextFor(bench.db);
    const random = lcg();
    const results: Record<Scenario, { service: number[]; baseline: number[] }> = { uniform: { service: [], baseline: [] }, hot: { service: [], baseline: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of ['uniform', 'hot'] as const) {
        // baseline
        const a = await openShop(ctx, `b${round}${scenario}`);
        await placeOrders(ctx, a, scenario, ORDERS, random);
        results[scenario].baseline.push(await rawFinalize(pool, a.tenantId));
        // service: a backlog of created orders, then the finalizer started on it
        const b = await openShop(ctx, `s${round}${scenario}`);
        await skipBacklog(ctx);
        await placeOrders(ctx, b, scenario, ORDERS, random);
        const started = performance.now();
        const role = await startFinalizer(ctx, { sweepMs: 3_600_000 });
        await role.drain();
        const seconds = (performance.now() - started) / 1000;
        await role.stop();
        const done = await countStatus(ctx, b.tenantId, 'new_order');
        if (done !== ORDERS) throw new Error(`finalizer left ${ORDERS - done} orders unfinalized`);
        results[scenario].service.push(ORDERS / seconds);
        if ((await ctx.ims.stock.reconcile(b.tenantId)).mismatches.length > 0) throw new Error('reconcile found mismatches');
      }
    }
    return Object.entries(results).map(([scenario, r]) => ({
      scenario,
      service_per_s: Math.round(median(r.service)),
      baseline_per_s: Math.round(median(r.baseline)),
      ratio: Number((median(r.service) / median(r.baseline)).toFixed(2)),
    }));
  } finally {
    await pool.end();
    await bench.drop();
  }
}

/** Starts API + finalizer on `db`, runs `load` against the listening server, stops everything. */
async function withServer<T>(
  db: AppContext['db'],
  load: (url: string, shop: Shop, ctx: AppContext) => Promise<T>,
  options: { finalizer?: boolean } = {},
): Promise<T> {
  const ctx = contextFor(db);
  await prepareDatabase(ctx);
  const shop = await openShop(ctx, `http${Date.now()}`);
  const role = options.finalizer === false ? undefined : await startFinalizer(ctx, { sweepMs: 3_600_000 });
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  try {
    return await load(`http://127.0.0.1:${port}`, shop, ctx);
  } finally {
    await app.close();
    await role?.stop();
  }
}

const orderBody = JSON.stringify({
  customer: { name: 'Load', email: 'load@bench.io' },
  hub: 'H1',
  items: [
    { sku: 'S1', quantity: 1, unit_price: '9.99' },
    { sku: 'S2', quantity: 2, unit_price: '1.50' },
  ],
});

/** autocannon in a second process, so the load does not share the server's event loop. */
async function cannon(url: string, key: string, options: { connections: number; duration: number }) {
  const args = [
    'node_modules/autocannon/autocannon.js',
    '-j',
    '-m',
    'POST',
    '-c',
    String(options.connections),
    '-d',
    String(options.duration),
    '-H',
    `authorization=Bearer ${key}`,
    '-H',
    'content-type=application/json',
    '-b',
    orderBody,
    `${url}/orders`,
  ];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as autocannon.Result;
}

type HttpVariant = 'finalizer' | 'api' | 'floor';

async function measureHttp(url: string, key: string) {
  await cannon(url, key, { connections: 50, duration: 3 }); // warm-up
  const result = await cannon(url, key, { connections: 50, duration: 10 });
  return {
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non_2xx: result.non2xx,
    errors: result.errors,
  };
}

async function httpBench(variant: HttpVariant) {
  const bench = await createBenchDatabase('http', 20);
  try {
    if (variant === 'floor') {
      const floor = await startFloorServer(bench.url);
      try {
        return { variant, ...(await measureHttp(floor.url, 'none')) };
      } finally {
        await floor.close();
      }
    }
    return await withServer(bench.db, async (url, shop) => ({ variant, ...(await measureHttp(url, shop.key)) }), { finalizer: variant === 'finalizer' });
  } finally {
    await bench.drop();
  }
}

/** Exactly one POST /orders every 10 ms for 10 s (autocannon's rate limit sends in bursts). */
async function steadyLoad(url: string, key: string): Promise<void> {
  const pool = new Pool(url, { connections: 16 });
  const sent: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    const due = started + i * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.push(
      pool
        .request({
          method: 'POST',
          path: '/orders',
          body: orderBody,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        })
        .then((res) => res.body.dump()),
    );
  }
  await Promise.all(sent);
  await pool.close();
}

async function latencyOn(db: AppContext['db']) {
  return withServer(db, async (url, shop, ctx) => {
    await steadyLoad(url, shop.key);
    for (let i = 0; i < 200 && (await countStatus(ctx, shop.tenantId, 'on_hold')) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const rows = await ctx.db.query<{ ms: number }>(
      `SELECT (extract(epoch FROM updated_at - created_at) * 1000)::float8 AS ms FROM oms.orders WHERE tenant_id = $1 AND status = 'new_order'`,
      [shop.tenantId],
    );
    const ms = rows.map((r) => Number(r.ms));
    return { orders: ms.length, p50_ms: Number(percentile(ms, 50).toFixed(1)), p99_ms: Number(percentile(ms, 99).toFixed(1)) };
  });
}

async function latencyBench() {
  const server = await createBenchDatabase('latency', 20);
  let onServer;
  try {
    onServer = await latencyOn(server.db);
  } finally {
    await server.drop();
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-'));
  const db = await openPglite({ dataDir: dir });
  let onPglite;
  try {
    await migrate(db);
    onPglite = await latencyOn(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { postgres: onServer, pglite: onPglite };
}

export async function runOrdersBench(): Promise<void> {
  const report: Record<string, unknown> = { bench: 'orders' };
  if (PARTS.includes('finalize')) {
    const rows = await finalizeBench();
    console.log(
      `\norders finalized/s (created → new_order) on PostgreSQL, ${ORDERS} orders, median of ${ROUNDS}; baseline: one order per transaction, 32 connections`,
    );
    console.log('scenario   finalizer/s   baseline/s   finalizer÷baseline');
    for (const r of rows)
      record({
        bench: 'orders',
        figure: `finalized, ${String(r.scenario)}`,
        value: Number(r.service_per_s),
        unit: '/s',
        baseline: { label: 'one order per transaction', value: Number(r.baseline_per_s) },
      });
    for (const r of rows)
      console.log(
        `${String(r.scenario).padEnd(10)} ${String(r.service_per_s).padStart(11)}   ${String(r.baseline_per_s).padStart(10)}   ${String(r.ratio).padStart(18)}`,
      );
    report.finalize = rows;
  }
  if (PARTS.includes('http')) {
    report.http = [];
    const variants = (process.env.BENCH_HTTP || 'finalizer,api,floor').split(',') as HttpVariant[];
    const labels: Record<HttpVariant, string> = {
      finalizer: 'service, finalizer in the same process',
      api: 'service, api role only',
      floor: 'floor: bare Fastify route, one INSERT, nothing else',
    };
    console.log('\nPOST /orders, 50 connections, 10 s, PostgreSQL (autocannon in a second process)');
    for (const variant of variants) {
      const http = await httpBench(variant);
      console.log(
        `${labels[variant].padEnd(52)} ${String(http.requests_per_s).padStart(6)} req/s   p50 ${http.p50_ms} ms   p99 ${http.p99_ms} ms   non-2xx ${http.non_2xx}   errors ${http.errors}`,
      );
      (report.http as unknown[]).push(http);
    }
    const http = report.http as { variant: HttpVariant; requests_per_s: number }[];
    const floor = http.find((h) => h.variant === 'floor');
    for (const h of http.filter((h) => h.variant !== 'floor')) {
      record({
        bench: 'orders',
        figure: `POST /orders, ${labels[h.variant]}`,
        value: h.requests_per_s,
        unit: 'req/s',
        ...(floor ? { baseline: { label: 'bare route + INSERT', value: floor.requests_per_s } } : {}),
      });
    }
  }
  if (PARTS.includes('latency')) {
    const latency = await latencyBench();
    console.log('\ncreated → new_order at a steady 100 orders/s for 10 s');
    for (const [engine, r] of Object.entries(latency)) record({ bench: 'orders', figure: `created → new_order p99, ${engine}`, value: r.p99_ms, unit: 'ms' });
    for (const [engine, r] of Object.entries(latency)) console.log(`${engine.padEnd(9)} ${r.orders} orders: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
    report.latency = latency;
  }
  console.log(JSON.stringify(report));
}
