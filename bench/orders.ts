/**
 * The finalizer's throughput (`npm run bench -- orders`): orders/s from created to new_order on
 * the PostgreSQL server — the finalizer (batched event consumption + batch reservation) versus a
 * raw baseline the bench runs itself (one order per transaction over 32 connections: claim,
 * conditional UPDATE per line with its ledger row, order update, outbox event); uniform SKUs and
 * one hot SKU. BENCH_ROUNDS, BENCH_ORDERS size it. (POST /orders under load and created →
 * new_order latency are measured through the service as npm start runs it, in the reservations
 * bench.)
 */
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index';
import type { RawEnv } from '../src/config/environment';
import { createContext, type AppContext } from '../src/context';
import { startFinalizer } from '../src/oms/orders/finalizer-role';
import { forEachConcurrently } from '../src/shared/concurrently';
import { rawReserveInTransaction } from './lib/raw-reserve';
import { createBenchDatabase, lcg, median } from './lib/server-db';
import { record } from './lib/summary';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ORDERS = Number(process.env.BENCH_ORDERS || 3000);
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
    // The same uniform orders again, with 2,000 older orders waiting for stock of 100 of their SKUs
    // at H0 and no stock arriving: a batch puts waiting orders first only for SKUs whose stock
    // rose, so the backlog should cost (nearly) nothing, against uniform above.
    const backlog: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const c = await openShop(ctx, `w${round}`);
      const empty = Array.from({ length: 100 }, (_, s) => ({ hub: 'H0', sku: `S${s}`, on_hand: 0 }));
      await ctx.ims.stock.put(c.tenantId, empty, true);
      await skipBacklog(ctx);
      await forEachConcurrently(
        Array.from({ length: 2000 }, (_, i) => i),
        32,
        async (i) => {
          await ctx.oms.orders.create(c.tenantId, { customer: { name: 'W', email: 'w@bench.io' }, hub: 'H0', items: [{ sku: `S${i % 100}`, quantity: 1 }] });
        },
      );
      const waiting = await startFinalizer(ctx, { sweepMs: 3_600_000 });
      await waiting.drain();
      await waiting.stop();
      await placeOrders(ctx, c, 'uniform', ORDERS, random);
      const started = performance.now();
      const role = await startFinalizer(ctx, { sweepMs: 3_600_000 });
      await role.drain();
      backlog.push(ORDERS / ((performance.now() - started) / 1000));
      await role.stop();
    }
    const withBacklog = {
      scenario: 'uniform, 2,000 waiting',
      service_per_s: Math.round(median(backlog)),
      baseline_per_s: Math.round(median(results.uniform.service)),
      ratio: Number((median(backlog) / median(results.uniform.service)).toFixed(2)),
    };
    return [
      ...Object.entries(results).map(([scenario, r]) => ({
        scenario,
        service_per_s: Math.round(median(r.service)),
        baseline_per_s: Math.round(median(r.baseline)),
        ratio: Number((median(r.service) / median(r.baseline)).toFixed(2)),
      })),
      withBacklog,
    ];
  } finally {
    await pool.end();
    await bench.drop();
  }
}

export async function runOrdersBench(): Promise<void> {
  const report: Record<string, unknown> = { bench: 'orders' };
  {
    const rows = await finalizeBench();
    console.log(
      `\norders finalized/s (created → new_order) on PostgreSQL, ${ORDERS} orders, median of ${ROUNDS}; baseline: one order per transaction, 32 connections`,
    );
    console.log('scenario   finalizer/s   baseline/s   finalizer÷baseline   (baseline of the last row: uniform with none waiting)');
    for (const r of rows)
      record({
        bench: 'orders',
        figure: `finalized, ${String(r.scenario)}`,
        value: Number(r.service_per_s),
        unit: '/s',
        baseline: { label: String(r.scenario).includes('waiting') ? 'uniform, none waiting' : 'one order per transaction', value: Number(r.baseline_per_s) },
      });
    for (const r of rows)
      console.log(
        `${String(r.scenario).padEnd(10)} ${String(r.service_per_s).padStart(11)}   ${String(r.baseline_per_s).padStart(10)}   ${String(r.ratio).padStart(18)}`,
      );
    report.finalize = rows;
  }
  console.log(JSON.stringify(report));
}
