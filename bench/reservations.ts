/**
 * Reservations per second on the PostgreSQL server: through ReservationService (look-ups via
 * the cache, tenant scope, ordered locking, ledger) versus a raw baseline run in the same
 * process and database: the same reserve transaction written directly against `pg` (claim the
 * order, one conditional UPDATE … RETURNING per line in (hub, sku) order with its ledger row).
 * Both use 8 connections and 8 concurrent callers, one order per transaction.
 *
 * Scenarios: "uniform" = 2-line orders over 10 hubs × 1,000 SKUs; "hot" = 1-line orders all
 * on one SKU. Rounds alternate service and baseline; medians are reported.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) names the server; the
 * bench creates and drops its own database there. BENCH_ROUNDS, BENCH_ORDERS tune the size.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index';
import { createContext, type AppContext } from '../src/context';
import { migrate } from '../src/db/migrate';
import { openPostgres } from '../src/db/postgres';
import { forEachConcurrently } from '../src/shared/concurrently';
import { rawReserveInTransaction } from './lib/raw-reserve';
import { lcg, median } from './lib/server-db';
import { record } from './lib/summary';

const SERVER = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ORDERS = Number(process.env.BENCH_ORDERS || 4000);
const CONCURRENCY = 8;
const HUBS = 10;
const SKUS = 1000;

interface Order {
  orderId: string;
  hub: { id: string; code: string };
  lines: { id: string; code: string; quantity: number }[];
}

async function runConcurrently(orders: Order[], reserve: (order: Order) => Promise<boolean>): Promise<number> {
  let failed = 0;
  const started = performance.now();
  await forEachConcurrently(orders, CONCURRENCY, async (order) => {
    if (!(await reserve(order))) failed++;
  });
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} reservations failed; stock should never run out here`);
  return orders.length / seconds;
}

/** The baseline: the reserve transaction written by hand against a pg pool. */
function rawReserve(pool: pg.Pool, tenantId: string) {
  return async (order: Order): Promise<boolean> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const lines = order.lines.map((l) => ({ sku_id: l.id, quantity: l.quantity }));
      if (!(await rawReserveInTransaction(client, tenantId, order.orderId, order.hub.id, lines))) {
        await client.query('ROLLBACK');
        return false;
      }
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
}

function serviceReserve(ctx: AppContext, tenantId: string) {
  return async (order: Order): Promise<boolean> => {
    const result = await ctx.ims.reservations.reserve(tenantId, {
      order_id: order.orderId,
      hub: order.hub.code,
      items: order.lines.map((l) => ({ sku: l.code, quantity: l.quantity })),
    });
    return result.outcome === 'reserved';
  };
}

export async function run(): Promise<void> {
  const database = `oms_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: SERVER });
  try {
    await admin.connect();
  } catch (error) {
    console.error(`reservations bench needs a PostgreSQL server at ${SERVER}: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  const db = openPostgres({ url: url.toString(), poolSize: CONCURRENCY });
  const pool = new pg.Pool({ connectionString: url.toString(), max: CONCURRENCY });
  pool.on('error', () => {}); // idle connections are cut when the bench drops its database
  try {
    await migrate(db);
    const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' });
    const ctx = createContext({ config, logger: pino({ level: 'silent' }), db });
    const tenant = await ctx.ims.tenants.create({ code: 'bench', name: 'Bench' });

    const hubs: { id: string; code: string }[] = [];
    for (let h = 0; h < HUBS; h++) hubs.push(await ctx.ims.catalog.create(tenant.id, 'hub', { code: `H${h}`, name: `Hub ${h}` }));
    const skus: { id: string; code: string }[] = [];
    for (let s = 0; s < SKUS; s++) skus.push(await ctx.ims.catalog.create(tenant.id, 'sku', { code: `S${s}`, name: `SKU ${s}` }));
    for (const hub of hubs) {
      await ctx.ims.stock.put(
        tenant.id,
        skus.map((s) => ({ hub: hub.code, sku: s.code, on_hand: 1_000_000_000 })),
        true,
      );
    }
    await admin.query(`ANALYZE`);

    const random = lcg();
    const uniformOrders = (): Order[] =>
      Array.from({ length: ORDERS }, () => {
        const a = random(SKUS);
        const b = (a + 1 + random(SKUS - 1)) % SKUS;
        return {
          orderId: randomUUID(),
          hub: hubs[random(HUBS)]!,
          lines: [a, b].sort((x, y) => (skus[x]!.id < skus[y]!.id ? -1 : 1)).map((i) => ({ ...skus[i]!, quantity: 1 + random(3) })),
        };
      });
    const hotOrders = (): Order[] =>
      Array.from({ length: Math.round(ORDERS / 2) }, () => ({
        orderId: randomUUID(),
        hub: hubs[0]!,
        lines: [{ ...skus[0]!, quantity: 1 }],
      }));

    const service = serviceReserve(ctx, tenant.id);
    const raw = rawReserve(pool, tenant.id);
    // Warm up both paths (JIT, connections, cache) before measuring.
    await runConcurrently(uniformOrders().slice(0, 400), service);
    await runConcurrently(uniformOrders().slice(0, 400), raw);

    const results: Record<string, { service: number[]; baseline: number[] }> = {
      uniform: { service: [], baseline: [] },
      hot: { service: [], baseline: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [scenario, make] of [
        ['uniform', uniformOrders],
        ['hot', hotOrders],
      ] as const) {
        // Alternate which goes first so drift in the machine's state favours neither.
        const pair = round % 2 === 0 ? (['service', 'baseline'] as const) : (['baseline', 'service'] as const);
        for (const who of pair) {
          const rate = await runConcurrently(make(), who === 'service' ? service : raw);
          results[scenario]![who].push(rate);
        }
      }
    }

    const reconcile = await ctx.ims.stock.reconcile(tenant.id);
    if (reconcile.mismatches.length > 0) throw new Error('reconciliation found mismatches after the bench');

    const rows = Object.entries(results).map(([scenario, r]) => {
      const service = median(r.service);
      const baseline = median(r.baseline);
      return { scenario, service_per_s: Math.round(service), baseline_per_s: Math.round(baseline), ratio: Number((service / baseline).toFixed(2)) };
    });
    console.log(`\nreservations/s on PostgreSQL (${CONCURRENCY} connections, ${ROUNDS} rounds, median; ${ORDERS} orders uniform, ${ORDERS / 2} hot)`);
    console.log('scenario   service/s   baseline/s   service÷baseline');
    for (const r of rows) {
      record({
        bench: 'reservations',
        figure: `reservations, ${r.scenario}`,
        value: r.service_per_s,
        unit: '/s',
        baseline: { label: 'raw SQL transaction', value: r.baseline_per_s },
      });
      console.log(
        `${r.scenario.padEnd(10)} ${String(r.service_per_s).padStart(9)}   ${String(r.baseline_per_s).padStart(10)}   ${r.ratio.toFixed(2).padStart(16)}`,
      );
    }
    console.log(JSON.stringify({ bench: 'reservations', concurrency: CONCURRENCY, rounds: ROUNDS, results: rows }));
  } finally {
    await pool.end();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}
