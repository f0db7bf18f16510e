/**
 * Reservations through the HTTP API (`npm run bench -- reservations`), on the PostgreSQL server.
 *
 * The service runs as `npm start` runs it (every role, one process); the load comes from
 * autocannon in a process of its own (bench/lib/load.mjs), on keep-alive connections, each
 * request a 1-line reservation of a random one of 1,000 SKUs at one hub, with a new order_id.
 * Measured in the same run:
 *  - the service with 1 caller and with 32 callers (throughput, p50, p99);
 *  - the floor: a bare Fastify route doing one INSERT (bench/lib/floor-server.mjs, its own
 *    process), 32 callers, the same bodies; and the same-work floor: a bare route doing what a
 *    reservation stores (claim, conditional stock update, line, ledger row) in one statement;
 *  - the peer: Medusa v2's Inventory module called in-process by 32 callers
 *    (bench/peers/medusa, installed on first use; BENCH_MEDUSA=0 skips it);
 *  - POST /orders with 50 connections against the same floor, on the service as npm start runs
 *    it and on an api-only process; the all-roles service also against the same work per order
 *    done the simplest way (the order-lifecycle floor), and created → new_order at a steady 100 orders/s;
 *  - oversell: 500 concurrent 1-unit reservations of a SKU with 100 on hand, spread over 4
 *    service processes on the same database: exactly 100 must succeed.
 * The service and the floor run in alternating rounds (BENCH_ROUNDS, 3); medians are reported.
 * BENCH_SECONDS (10) sets each measurement's length.
 */
import { execFile, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { forEachConcurrently } from '../src/shared/concurrently';
import { createBenchDatabase, percentile } from './lib/server-db';
import { ADMIN, call, cpuSeconds, peakRssMb, postgresPids, startService, type Service } from './lib/service';
import { record } from './lib/summary';

const exec = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CALLERS = 32;
const ORDER_CONNECTIONS = 50;
const SKUS = 1000;
const HUB = 'H1';

export interface LoadResult {
  requests_per_s: number;
  total: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** The load generator's own CPU, % of one core. */
  cpu_percent: number;
  /** CPU per request of the server process (service or floor) and of PostgreSQL, in µs (set by withCpu). */
  server_us?: number;
  postgres_us?: number;
}

/** Runs a load, and adds what each request cost in CPU: the server process's and PostgreSQL's. */
export async function withCpu(serverPid: number, work: () => Promise<LoadResult>): Promise<LoadResult> {
  const cpuBefore = new Map<number, number>();
  for (const pid of [serverPid, ...(await postgresPids())]) cpuBefore.set(pid, await cpuSeconds([pid]));
  const result = await work();
  // Backends that started during the run (a pool replacing idle connections) count from zero.
  const used = async (pids: number[]) => {
    let seconds = 0;
    for (const pid of pids) seconds += (await cpuSeconds([pid])) - (cpuBefore.get(pid) ?? 0);
    return seconds;
  };
  const perRequest = (seconds: number) => Math.round((seconds / result.total) * 1e6);
  return { ...result, server_us: perRequest(await used([serverPid])), postgres_us: perRequest(await used(await postgresPids())) };
}

/** autocannon in its own process (bench/lib/load.mjs); see it for the job's fields. */
export async function load(job: Record<string, unknown>): Promise<LoadResult> {
  const { stdout } = await exec(process.execPath, ['bench/lib/load.mjs', JSON.stringify(job)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadResult;
}

/** A floor server (bench/lib/floor-server.mjs: `insert` or `order-lifecycle`) in its own process. */
export async function startFloor(databaseUrl: string, work = 'insert'): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = fork(path.resolve('bench/lib/floor-server.mjs'), {
    env: { ...process.env, DATABASE_URL: databaseUrl, FLOOR_WORK: work, SKUS: String(SKUS) },
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A tenant with one hub and SKUS SKUs, each with plenty of stock; answers its key. */
export async function seedShop(service: Service): Promise<string> {
  const tenant = await call(service.url, 'POST', '/tenants', ADMIN, { code: 'bench', name: 'Bench' });
  const { key } = await call(service.url, 'POST', `/tenants/${tenant.id}/api-keys`, ADMIN);
  await call(service.url, 'POST', '/hubs', key, { code: HUB, name: 'Hub 1' });
  await forEachConcurrently(
    Array.from({ length: SKUS }, (_, s) => s),
    8,
    async (s) => {
      await call(service.url, 'POST', '/skus', key, { code: `S${s}`, name: `SKU ${s}` });
    },
  );
  await call(
    service.url,
    'PUT',
    '/inventory',
    key,
    Array.from({ length: SKUS }, (_, s) => ({ hub: HUB, sku: `S${s}`, on_hand: 1_000_000_000 })),
  );
  return key;
}

const reservations = (url: string, key: string | undefined, connections: number, seconds = SECONDS) =>
  load({ url, path: '/reservations', key, connections, seconds, body: 'reservation', skus: SKUS, hub: HUB });

const orders = (url: string, key: string | undefined, seconds = SECONDS) =>
  load({ url, path: '/orders', key, connections: ORDER_CONNECTIONS, seconds, body: 'order', skus: SKUS, hub: HUB });

/**
 * Exactly one POST /orders every 10 ms for 10 s (autocannon's rate option sends in bursts), then
 * the time from each order's creation to its move to new_order, read from the database.
 */
export async function createdToNewOrder(service: Service, key: string, databaseUrl: string): Promise<{ orders: number; p50_ms: number; p99_ms: number }> {
  const pool = new Pool(service.url, { connections: 16 });
  const sent: Promise<string>[] = [];
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    const wait = started + i * 10 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sent.push(
      pool
        .request({
          method: 'POST',
          path: '/orders',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customer: { name: 'Steady', email: 'steady@bench.io' }, hub: HUB, items: [{ sku: `S${i % SKUS}`, quantity: 1 }] }),
        })
        .then(async (res) => (JSON.parse(await res.body.text()) as { id: string }).id),
    );
  }
  const ids = await Promise.all(sent);
  await pool.close();
  await settle(databaseUrl);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ ms: number }>(
      `SELECT (extract(epoch FROM updated_at - created_at) * 1000)::float8 AS ms FROM oms.orders WHERE id = ANY($1::uuid[]) AND status = 'new_order'`,
      [ids],
    );
    const ms = rows.map((r) => Number(r.ms));
    const at = (p: number) => Number(percentile(ms, p).toFixed(1));
    return { orders: ms.length, p50_ms: at(50), p99_ms: at(99) };
  } finally {
    await db.end();
  }
}

/** Waits until the service's background roles have finished the last load's orders (none left on_hold), so that they do not run during the next measurement. */
async function settle(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (let i = 0; i < 600; i++) {
      const { rows } = await db.query(`SELECT EXISTS (SELECT 1 FROM oms.orders WHERE status = 'on_hold') AS busy`);
      if (!rows[0].busy) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await db.end();
  }
}

/** Medusa's Inventory module, 32 callers in its process, on a database of its own on the same server. */
async function medusa(): Promise<{ rps: number; p99_ms: number; succeeded_without_lock: number } | undefined> {
  if (process.env.BENCH_MEDUSA === '0') return undefined;
  const dir = path.resolve('bench/peers/medusa');
  if (!existsSync(path.join(dir, 'node_modules/@medusajs/inventory'))) {
    console.log('installing the Medusa peer (bench/peers/medusa, once)…');
    await exec('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  }
  const bench = await createBenchDatabase('medusa', 1, { migrate: false });
  try {
    const child = spawn(process.execPath, ['peer.mjs'], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: bench.url, SECONDS: String(SECONDS), CALLERS: String(CALLERS), ITEMS: String(SKUS) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`the Medusa peer exited with ${code}`);
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    await bench.drop();
  }
}

/** 500 concurrent 1-unit reservations of one SKU with 100 on hand, spread over the given services. */
export async function oversell(urls: string[], key: string): Promise<{ reserved: number; insufficient: number; other: number; level: unknown }> {
  await call(urls[0]!, 'POST', '/skus', key, { code: 'HOT', name: 'Hot' });
  await call(urls[0]!, 'PUT', '/inventory', key, { hub: HUB, sku: 'HOT', on_hand: 100 });
  const pools = urls.map((url) => new Pool(url, { connections: 128 }));
  const tally = { reserved: 0, insufficient: 0, other: 0 };
  await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const res = await pools[i % pools.length]!.request({
        method: 'POST',
        path: '/reservations',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ order_id: `hot-${i}`, hub: HUB, items: [{ sku: 'HOT', quantity: 1 }] }),
      });
      await res.body.dump();
      if (res.statusCode === 200) tally.reserved++;
      else if (res.statusCode === 409) tally.insufficient++;
      else tally.other++;
    }),
  );
  await Promise.all(pools.map((p) => p.close()));
  const level = (await call(urls[0]!, 'GET', `/inventory?hub=${HUB}&skus=HOT`, key)).data[0];
  return { ...tally, level };
}

/** The median round by throughput (its latencies go with it). */
const medianRun = (runs: LoadResult[]) => [...runs].sort((a, b) => a.requests_per_s - b.requests_per_s)[Math.floor(runs.length / 2)]!;

export async function run(): Promise<void> {
  const bench = await createBenchDatabase('reservations', 1, { migrate: false });
  const service = await startService({ DATABASE_URL: bench.url, RATE_LIMIT_MAX: '0' });
  const floor = await startFloor(bench.url);
  const lifecycleFloor = await startFloor(bench.url, 'order-lifecycle');
  const reservationFloor = await startFloor(bench.url, 'reservation');
  const extra: Service[] = [];
  try {
    const key = await seedShop(service);
    // Warm-up: JIT, connections, caches, on both sides.
    await reservations(service.url, key, CALLERS, 3);
    await reservations(floor.url, undefined, CALLERS, 3);
    await reservations(reservationFloor.url, undefined, CALLERS, 3);
    const one = await reservations(service.url, key, 1);
    const serviceRuns: LoadResult[] = [];
    const floorRuns: LoadResult[] = [];
    const sameWorkRuns: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first so drift in the machine's state favours neither.
      const turns = [
        () => withCpu(service.pid, () => reservations(service.url, key, CALLERS)).then((r) => serviceRuns.push(r)),
        () => withCpu(floor.pid, () => reservations(floor.url, undefined, CALLERS)).then((r) => floorRuns.push(r)),
        () => withCpu(reservationFloor.pid, () => reservations(reservationFloor.url, undefined, CALLERS)).then((r) => sameWorkRuns.push(r)),
      ];
      if (round % 2 === 1) turns.reverse();
      for (const turn of turns) await turn();
    }
    const many = medianRun(serviceRuns);
    const floorRun = medianRun(floorRuns);
    const sameWorkRun = medianRun(sameWorkRuns);

    // POST /orders on the service as npm start runs it (the finalizer and the webhooks role in
    // the same process do each order's further work), and on an api-only process of its own
    // database (the create path alone, the finalizer's work elsewhere), against the same floor.
    const apiDatabase = await createBenchDatabase('reservations_api', 1, { migrate: false });
    const apiOnly = await startService({ DATABASE_URL: apiDatabase.url, RATE_LIMIT_MAX: '0', OMS_ROLES: 'api' });
    const orderRuns: LoadResult[] = [];
    const apiOrderRuns: LoadResult[] = [];
    const orderFloorRuns: LoadResult[] = [];
    const lifecycleFloorRuns: LoadResult[] = [];
    try {
      const apiKey = await seedShop(apiOnly);
      await orders(service.url, key, 3); // warm-up
      await orders(apiOnly.url, apiKey, 3);
      // The api-only process first, while the all-roles service is idle (its background roles
      // would otherwise still be working through its orders), then the all-roles service; each
      // alternates with the floor, and starts once the finalizer has caught up. The all-roles
      // service also alternates with the order-lifecycle floor: the same work per order (create,
      // reserve, move, both events) done the simplest way, in one statement.
      const variants = [
        { runs: apiOrderRuns, pid: apiOnly.pid, url: apiOnly.url, key: apiKey, floors: [{ runs: orderFloorRuns, server: floor }] },
        {
          runs: orderRuns,
          pid: service.pid,
          url: service.url,
          key,
          floors: [
            { runs: orderFloorRuns, server: floor },
            { runs: lifecycleFloorRuns, server: lifecycleFloor },
          ],
        },
      ];
      await orders(lifecycleFloor.url, undefined, 3); // warm-up
      for (const variant of variants) {
        for (let round = 0; round < ROUNDS; round++) {
          const turns = [{ runs: variant.runs, pid: variant.pid, url: variant.url, key: variant.key as string | undefined }];
          for (const f of variant.floors) turns.push({ runs: f.runs, pid: f.server.pid, url: f.server.url, key: undefined });
          if (round % 2 === 1) turns.reverse();
          for (const turn of turns) {
            await settle(bench.url);
            turn.runs.push(await withCpu(turn.pid, () => orders(turn.url, turn.key)));
          }
        }
      }
    } finally {
      await apiOnly.stop();
      await apiDatabase.drop();
    }
    const ordersRun = medianRun(orderRuns);
    const apiOrdersRun = medianRun(apiOrderRuns);
    const ordersFloor = medianRun(orderFloorRuns);
    const lifecycleFloorRun = medianRun(lifecycleFloorRuns);
    await settle(bench.url);
    const steady = await createdToNewOrder(service, key, bench.url);
    const peakRss = await peakRssMb(service);
    for (let i = 0; i < 3; i++) extra.push(await startService({ DATABASE_URL: bench.url, RATE_LIMIT_MAX: '0', OMS_ROLES: 'api' }));
    const burst = await oversell(
      [service, ...extra].map((s) => s.url),
      key,
    );
    const peer = await medusa();

    const line = (label: string, r: LoadResult) =>
      console.log(
        `${label.padEnd(44)} ${String(Math.round(r.requests_per_s)).padStart(6)}/s   p50 ${r.p50_ms} ms   p99 ${r.p99_ms} ms   ${JSON.stringify(r.statuses)}${r.errors ? `   errors ${r.errors}` : ''}${r.server_us === undefined ? '' : `   CPU/request: server ${r.server_us} µs, PostgreSQL ${r.postgres_us} µs, load ${r.cpu_percent}% of a core`}`,
      );
    console.log(`\nPOST /reservations, PostgreSQL, ${SECONDS} s each, median of ${ROUNDS} alternating rounds (autocannon in its own process, keep-alive)`);
    line('service, 1 caller', one);
    line(`service, ${CALLERS} callers`, many);
    line(`floor (bare route + one INSERT), ${CALLERS} callers`, floorRun);
    console.log(
      `  rounds, service: ${serviceRuns.map((r) => Math.round(r.requests_per_s)).join(', ')}; floor: ${floorRuns.map((r) => Math.round(r.requests_per_s)).join(', ')}/s`,
    );
    if (peer)
      console.log(`${`Medusa's module in-process, ${CALLERS} callers`.padEnd(44)} ${String(Math.round(peer.rps)).padStart(6)}/s   p99 ${peer.p99_ms} ms`);
    line(`same-work floor (1 statement), ${CALLERS} callers`, sameWorkRun);
    console.log(`  rounds, same-work floor: ${sameWorkRuns.map((r) => Math.round(r.requests_per_s)).join(', ')}/s`);
    console.log(`service ÷ floor: ${(many.requests_per_s / floorRun.requests_per_s).toFixed(2)}×   (target ≥ 0.8×)`);
    console.log(
      `service ÷ same-work floor: ${(many.requests_per_s / sameWorkRun.requests_per_s).toFixed(2)}×; same-work floor ÷ one-INSERT floor: ${(sameWorkRun.requests_per_s / floorRun.requests_per_s).toFixed(2)}×`,
    );
    if (peer) console.log(`service ÷ Medusa: ${(many.requests_per_s / peer.rps).toFixed(1)}×   (target ≥ 10×)`);
    console.log(`p99 at ${CALLERS} callers: ${many.p99_ms} ms (target ≤ 50 ms); service peak RSS ${peakRss} MB`);
    console.log(
      `oversell, 500 × 1 unit on 100, 4 processes: ${burst.reserved} reserved, ${burst.insufficient} insufficient, ${burst.other} other; level ${JSON.stringify(burst.level)}`,
    );
    if (peer) console.log(`  (Medusa without its lock: ${peer.succeeded_without_lock} of 500 succeeded on a stock of 100)`);
    console.log(`\nPOST /orders, ${ORDER_CONNECTIONS} connections, median of ${ROUNDS} alternating rounds`);
    line('service, every role (npm start)', ordersRun);
    line('service, api role only', apiOrdersRun);
    line('floor (bare route + one INSERT)', ordersFloor);
    line('floor, same work (order lifecycle, 1 stmt)', lifecycleFloorRun);
    for (const [label, r, f, floorLabel] of [
      ['every role', ordersRun, ordersFloor, 'floor'],
      ['api role only', apiOrdersRun, ordersFloor, 'floor'],
      ['every role', ordersRun, lifecycleFloorRun, 'same-work floor'],
    ] as const)
      console.log(
        `${label} ÷ ${floorLabel}: ${(r.requests_per_s / f.requests_per_s).toFixed(2)}× (target ≥ 0.9×); p99 ${r.p99_ms} vs ${f.p99_ms} ms = ${(r.p99_ms / f.p99_ms).toFixed(2)}× (target ≤ 1.5×)`,
      );
    console.log(
      `  same-work floor ÷ one-INSERT floor: ${(lifecycleFloorRun.requests_per_s / ordersFloor.requests_per_s).toFixed(2)}× (what an order's whole work costs this machine)`,
    );
    console.log(
      `created → new_order at a steady 100 orders/s, ${steady.orders} orders: p50 ${steady.p50_ms} ms, p99 ${steady.p99_ms} ms (targets ≤ 20 / ≤ 100 ms)`,
    );
    for (const [label, r] of [
      ['every role', ordersRun],
      ['api role', apiOrdersRun],
    ] as const)
      record({
        bench: 'reservations',
        figure: `POST /orders, ${ORDER_CONNECTIONS} conns, ${label}`,
        value: Math.round(r.requests_per_s),
        unit: 'req/s',
        baseline: { label: 'bare route + INSERT', value: Math.round(ordersFloor.requests_per_s) },
      });
    record({
      bench: 'reservations',
      figure: `POST /orders, ${ORDER_CONNECTIONS} conns, every role vs the same work`,
      value: Math.round(ordersRun.requests_per_s),
      unit: 'req/s',
      baseline: { label: 'order lifecycle in one statement', value: Math.round(lifecycleFloorRun.requests_per_s) },
    });
    record({ bench: 'reservations', figure: 'created → new_order p99, 100/s', value: steady.p99_ms, unit: 'ms' });

    record({
      bench: 'reservations',
      figure: `POST /reservations, ${CALLERS} callers`,
      value: Math.round(many.requests_per_s),
      unit: '/s',
      baseline: { label: 'bare route + INSERT', value: Math.round(floorRun.requests_per_s) },
    });
    record({
      bench: 'reservations',
      figure: `POST /reservations, ${CALLERS} callers, against the same work`,
      value: Math.round(many.requests_per_s),
      unit: '/s',
      baseline: { label: 'reservation in one statement', value: Math.round(sameWorkRun.requests_per_s) },
    });
    if (peer)
      record({
        bench: 'reservations',
        figure: `POST /reservations vs Medusa`,
        value: Math.round(many.requests_per_s),
        unit: '/s',
        baseline: { label: "Medusa's module, in-process", value: Math.round(peer.rps) },
      });
    record({ bench: 'reservations', figure: `reservation p99, ${CALLERS} callers`, value: many.p99_ms, unit: 'ms' });
    console.log(
      JSON.stringify({
        bench: 'reservations',
        one,
        many,
        floor: floorRun,
        same_work_floor: sameWorkRun,
        orders: ordersRun,
        apiOrders: apiOrdersRun,
        ordersFloor,
        lifecycleFloor: lifecycleFloorRun,
        steady,
        peer,
        oversell: burst,
        peakRssMb: peakRss,
      }),
    );
    if (burst.reserved !== 100) throw new Error(`oversell check: ${burst.reserved} reserved of a stock of 100`);
  } finally {
    for (const s of extra) await s.stop();
    await floor.stop();
    await reservationFloor.stop();
    await lifecycleFloor.stop();
    await service.stop();
    await bench.drop();
  }
}
