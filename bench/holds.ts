/**
 * Holds through the HTTP API (`npm run bench -- holds`), on the PostgreSQL server, the service
 * running as `npm start` runs it (every role, one process).
 *
 *  - Create and convert: 32 callers, each holding one unit of a random one of 1,000 SKUs
 *    (POST /holds) and placing an order from that hold (POST /orders {hold_id}), in a loop; a
 *    pair is one hold created and converted. Against the same-work floor in the same run: a bare
 *    Fastify route doing each step the simplest way, one statement each (floor-server.mjs
 *    `hold`). Alternating rounds (BENCH_ROUNDS, 3), medians; WAL bytes per pair.
 *  - Expiry: 100,000 active holds (BENCH_HOLDS) of one unit each over the 1,000 SKUs, made due
 *    at once; the service's expiry loop gives them back. Measured: holds per second, the time
 *    until the first units and until every unit is available again. Against the floor: the same
 *    work (each hold closed, the units back, a ledger row and an event per hold) done the simplest
 *    way, 1,000 holds a statement, on tables of its own.
 */
import pg from 'pg';
import { load, seedShop, startFloor, withCpu, type LoadResult } from './reservations';
import { createBenchDatabase, measuringWal } from './lib/server-db';
import { peakRssMb, startService } from './lib/service';
import { record } from './lib/summary';

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const HOLDS = Number(process.env.BENCH_HOLDS || 100_000);
const CALLERS = 32;
const SKUS = 1000;
const HUB = 'H1';

const holdAndConvert = (url: string, key: string | undefined, seconds = SECONDS) =>
  load({ url, path: '/holds', key, connections: CALLERS, seconds, body: 'hold-convert', skus: SKUS, hub: HUB });

const medianRun = (runs: LoadResult[]) => [...runs].sort((a, b) => a.requests_per_s - b.requests_per_s)[Math.floor(runs.length / 2)]!;

async function withClient<T>(url: string, work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/**
 * HOLDS active holds of one unit, spread over the SKUs, written straight to the tables as the
 * service would have (holds, lines, held units, ledger rows), so that the ledger still adds up.
 */
async function seedHolds(db: pg.Client): Promise<void> {
  await db.query(
    `WITH t AS (SELECT id FROM ims.tenants WHERE code = 'bench'), hub AS (SELECT h.id FROM ims.hubs h, t WHERE h.tenant_id = t.id AND h.code = $2),
     made AS (
       INSERT INTO ims.holds (tenant_id, id, status, expires_at)
       SELECT t.id, public.uuid_generate_v7(), 'active', now() + interval '1 hour' FROM t, generate_series(1, $1) RETURNING tenant_id, id
     ), numbered AS (SELECT tenant_id, id, row_number() OVER () AS n FROM made),
     lines AS (
       INSERT INTO ims.hold_lines (tenant_id, hold_id, hub_id, sku_id, quantity, allocation)
       SELECT x.tenant_id, x.id, hub.id, k.id, 1, 'requested' FROM numbered x
       CROSS JOIN hub
       JOIN ims.skus k ON k.tenant_id = x.tenant_id AND k.code = 'S' || ((x.n - 1) % $3)::text
       RETURNING tenant_id, hold_id, hub_id, sku_id
     ), per_row AS (SELECT tenant_id, hub_id, sku_id, count(*) AS units FROM lines GROUP BY 1, 2, 3),
     levels AS (
       UPDATE ims.stock_levels s SET held = s.held + p.units FROM per_row p
       WHERE s.tenant_id = p.tenant_id AND s.hub_id = p.hub_id AND s.sku_id = p.sku_id
       RETURNING s.tenant_id, s.hub_id, s.sku_id, s.on_hand, s.reserved, s.held, p.units
     )
     INSERT INTO ims.inventory_transactions (tenant_id, hub_id, sku_id, delta_on_hand, delta_reserved, delta_held, on_hand_after, reserved_after, held_after, reason)
     SELECT tenant_id, hub_id, sku_id, 0, 0, units, on_hand, reserved, held, 'hold' FROM levels`,
    [HOLDS, HUB, SKUS],
  );
}

/** Makes every active hold due now; answers how long until the first units and every unit were available again, in ms. */
async function expireAll(db: pg.Client): Promise<{ first_ms: number; all_ms: number }> {
  const held = async () => Number((await db.query(`SELECT COALESCE(sum(held), 0)::int8 AS n FROM ims.stock_levels`)).rows[0].n);
  const before = await held();
  const began = performance.now();
  await db.query(`UPDATE ims.holds SET expires_at = now() - interval '1 second' WHERE status = 'active'`);
  let first: number | undefined;
  for (;;) {
    const now = await held();
    if (first === undefined && now < before) first = performance.now() - began;
    if (now === 0) return { first_ms: Math.round(first ?? 0), all_ms: Math.round(performance.now() - began) };
    if (performance.now() - began > 600_000) throw new Error(`holds still held after 10 minutes: ${now}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The same expiry work done the simplest way, on tables of its own: 1,000 holds a statement. */
async function expiryFloor(db: pg.Client): Promise<number> {
  await db.query(`DROP TABLE IF EXISTS xf_holds, xf_stock, xf_ledger, xf_events`);
  await db.query(`CREATE TABLE xf_stock (sku int PRIMARY KEY, on_hand int8 NOT NULL, held int8 NOT NULL)`);
  await db.query(
    `CREATE TABLE xf_holds (id bigserial PRIMARY KEY, sku int NOT NULL, quantity int8 NOT NULL, status text NOT NULL, expires_at timestamptz NOT NULL)`,
  );
  await db.query(`CREATE INDEX xf_due ON xf_holds (expires_at) WHERE status = 'active'`);
  await db.query(
    `CREATE TABLE xf_ledger (id bigserial PRIMARY KEY, hold_id int8 NOT NULL, sku int NOT NULL, delta_held int8 NOT NULL, held_after int8 NOT NULL)`,
  );
  await db.query(`CREATE TABLE xf_events (id bigserial PRIMARY KEY, type text NOT NULL, key text NOT NULL, data jsonb NOT NULL)`);
  await db.query(`INSERT INTO xf_stock SELECT s, 1000000000, $1 / $2 FROM generate_series(0, $2 - 1) s`, [HOLDS, SKUS]);
  await db.query(
    `INSERT INTO xf_holds (sku, quantity, status, expires_at) SELECT n % $2, 1, 'active', now() - interval '1 second' FROM generate_series(1, $1) n`,
    [HOLDS, SKUS],
  );
  const began = performance.now();
  for (;;) {
    const { rows } = await db.query(
      `WITH due AS (
         SELECT id, sku, quantity FROM xf_holds WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED
       ), closed AS (UPDATE xf_holds h SET status = 'expired' FROM due WHERE h.id = due.id),
       per_row AS (SELECT sku, sum(quantity) AS units FROM due GROUP BY sku),
       s AS (UPDATE xf_stock s SET held = s.held - p.units FROM per_row p WHERE s.sku = p.sku RETURNING s.sku, s.held),
       ledger AS (INSERT INTO xf_ledger (hold_id, sku, delta_held, held_after) SELECT due.id, due.sku, -due.quantity, s.held FROM due JOIN s ON s.sku = due.sku),
       events AS (INSERT INTO xf_events (type, key, data) SELECT 'hold.expired', id::text, jsonb_build_object('id', id, 'sku', sku) FROM due)
       SELECT count(*)::int AS n FROM due`,
    );
    if (rows[0].n === 0) break;
  }
  const ms = performance.now() - began;
  await db.query(`DROP TABLE xf_holds, xf_stock, xf_ledger, xf_events`);
  return Math.round(HOLDS / (ms / 1000));
}

export async function runHoldsBench(): Promise<void> {
  const bench = await createBenchDatabase('holds', 1, { migrate: false });
  const service = await startService({ DATABASE_URL: bench.url, RATE_LIMIT_MAX: '0' });
  const floor = await startFloor(bench.url, 'hold');
  try {
    const key = await seedShop(service);
    await holdAndConvert(service.url, key, 3); // warm-up
    await holdAndConvert(floor.url, undefined, 3);
    const serviceRuns: { run: LoadResult; wal: number }[] = [];
    const floorRuns: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const turns = [
        async () => {
          const [run, wal] = await measuringWal(bench.url, () => withCpu(service.pid, () => holdAndConvert(service.url, key)));
          serviceRuns.push({ run, wal });
        },
        async () => void floorRuns.push(await withCpu(floor.pid, () => holdAndConvert(floor.url, undefined))),
      ];
      if (round % 2 === 1) turns.reverse();
      for (const turn of turns) await turn();
    }
    const median = medianRun(serviceRuns.map((r) => r.run));
    const wal = serviceRuns.find((r) => r.run === median)!.wal;
    const floorRun = medianRun(floorRuns);
    const pairs = (r: LoadResult) => Math.round(r.requests_per_s / 2);

    const { expiry, expiryFloorRate } = await withClient(bench.url, async (db) => {
      await seedHolds(db);
      const expiry = await expireAll(db);
      const expiryFloorRate = await expiryFloor(db);
      return { expiry, expiryFloorRate };
    });
    const reconcile = (await fetchJson(`${service.url}/inventory/reconcile`, key)) as { mismatches: unknown[] };
    const peakRss = await peakRssMb(service);

    const line = (label: string, r: LoadResult) =>
      console.log(
        `${label.padEnd(44)} ${String(pairs(r)).padStart(6)} pairs/s   p50 ${r.p50_ms} ms   p99 ${r.p99_ms} ms   ${JSON.stringify(r.statuses)}   CPU/request: server ${r.server_us} µs, PostgreSQL ${r.postgres_us} µs`,
      );
    console.log(`\nHolds, PostgreSQL: hold one unit, then an order from the hold, ${CALLERS} callers, ${SECONDS} s, median of ${ROUNDS} alternating rounds`);
    line('service (npm start, every role)', median);
    line('same-work floor (one statement a step)', floorRun);
    console.log(
      `ratio service/floor ${(pairs(median) / pairs(floorRun)).toFixed(2)}   WAL ${Math.round(wal / median.total)} B per request (a hold or an order)`,
    );
    const rate = Math.round(HOLDS / (expiry.all_ms / 1000));
    console.log(
      `expiry: ${HOLDS.toLocaleString('en')} due holds given back in ${expiry.all_ms} ms (${rate.toLocaleString('en')}/s; first units back after ${expiry.first_ms} ms); same-work floor ${expiryFloorRate.toLocaleString('en')}/s, ratio ${(rate / expiryFloorRate).toFixed(2)}`,
    );
    console.log(`reconcile after: ${reconcile.mismatches.length} mismatches   peak RSS ${peakRss} MB`);

    record({
      bench: 'holds',
      figure: `hold + order from it, ${CALLERS} callers`,
      value: pairs(median),
      unit: 'pairs/s',
      baseline: { label: 'same-work floor', value: pairs(floorRun) },
    });
    record({ bench: 'holds', figure: 'WAL per request', value: Math.round(wal / median.total), unit: 'B' });
    record({
      bench: 'holds',
      figure: `expiry of ${HOLDS.toLocaleString('en')} holds`,
      value: rate,
      unit: 'holds/s',
      baseline: { label: 'same-work floor', value: expiryFloorRate },
    });
    record({ bench: 'holds', figure: 'expiry: until every unit is back', value: expiry.all_ms, unit: 'ms' });
    record({ bench: 'holds', figure: 'peak RSS', value: peakRss, unit: 'MB' });
  } finally {
    await floor.stop();
    await service.stop();
    await bench.drop();
  }
}

async function fetchJson(url: string, key: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  return res.json();
}
