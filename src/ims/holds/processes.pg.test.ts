/**
 * Server only (PGlite is one process by design): holds against orders across processes.
 * - Four service processes take holds, reservations and orders placed from holds, all racing for
 *   the last units of one SKU: never oversold, every unit accounted for.
 * - Two finalizer processes expire the same due holds: each exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Pool } from 'undici';
import { buildTestApp, seedCatalog, ADMIN_KEY, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { freePort } from '../../../test/helpers/ports';
import { startRole, type RoleProcess } from '../../../test/helpers/role-process';

let t: TestApp;
const processes: RoleProcess[] = [];
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await t.close();
});

const env = () => ({ DATABASE_URL: t.database.url!, DATABASE_POOL_SIZE: '4', OMS_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0' });
const level = async (own: TestTenant) => (await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0];
const count = async (sql: string, params: unknown[]) => (await t.ctx.db.query<{ n: number }>(sql, params))[0]!.n;

it('4 processes: 300 holds and 300 reservations race for 100 units, then orders race for the holds — never oversold, each hold converted once', async () => {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A'], stock: [['H1', 'A', 100]] });
  const ports = await Promise.all([0, 1, 2, 3].map(() => freePort()));
  const started = await Promise.all(ports.map((port, i) => startRole(`api-${i}`, 'api', env(), port)));
  processes.push(...started);
  const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: 50 }));
  const send = async (i: number, path: string, body: unknown) => {
    const res = await pools[i % 4]!.request({
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${own.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as any };
  };

  const answers = await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      i % 2 === 0
        ? send(i, '/holds', { reference: `cart-${i}`, items: [{ sku: 'A', quantity: 1 }] })
        : send(i, '/reservations', { order_id: `race-${i}`, hub: 'H1', items: [{ sku: 'A', quantity: 1 }] }),
    ),
  );
  const holds = answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
  const reserved = answers.filter((a) => a.status === 200).length;
  expect(holds.length + reserved).toBe(100);
  expect(answers.filter((a) => a.status === 409)).toHaveLength(500);
  expect(await level(own)).toMatchObject({ on_hand: 100, reserved, held: holds.length, available: 0 });

  // Orders from up to 40 of the holds (each named by two orders at once: one wins), and 20 orders of stock that is not there.
  const chosen = holds.slice(0, 40);
  const n = chosen.length;
  expect(n).toBeGreaterThan(0);
  const customer = { name: 'Race', email: 'race@example.com' };
  const placed = await Promise.all([
    ...chosen.flatMap((id, i) => [0, 1].map((n) => send(i + n, '/orders', { customer, items: [{ sku: 'A', quantity: 1 }], hold_id: id }))),
    ...Array.from({ length: 20 }, (_, i) => send(i, '/orders', { customer, items: [{ sku: 'A', quantity: 1 }] })),
  ]);
  await Promise.all(pools.map((pool) => pool.close()));
  const fromHolds = placed.slice(0, 2 * n);
  const perHold = chosen.map((_, i) =>
    [fromHolds[2 * i]!, fromHolds[2 * i + 1]!].map((a) => `${a.status}:${a.status === 201 ? a.body.status : a.body.code}`).sort(),
  );
  expect(perHold).toEqual(Array(n).fill(['201:new_order', '409:hold.taken']));
  expect(await level(own)).toMatchObject({ on_hand: 100, reserved: reserved + n, held: holds.length - n, available: 0 });
  expect(await count("SELECT count(*)::int8 AS n FROM ims.holds WHERE tenant_id = $1 AND status = 'converted'", [own.id])).toBe(n);
  expect(await count("SELECT count(*)::int8 AS n FROM oms.events WHERE tenant_id = $1 AND type = 'hold.converted'", [own.id])).toBe(n);
  expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
});

it('two finalizer processes expire 1,000 due holds: each exactly once, every unit back', async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A'], stock: [['H1', 'A', 1000]] });
  for (let i = 0; i < 1000; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1 }], expires_in_seconds: 3600 } })));
  }
  expect(await level(own)).toMatchObject({ held: 1000, available: 0 });
  processes.push(...(await Promise.all([0, 1].map((i) => startRole(`finalizer-${i}`, 'finalizer', env())))));
  await t.ctx.db.query("UPDATE ims.holds SET expires_at = now() - interval '1 second' WHERE tenant_id = $1", [own.id]);
  await expect.poll(async () => (await level(own)).held, { timeout: 60_000 }).toBe(0);
  expect(await count("SELECT count(*)::int8 AS n FROM ims.holds WHERE tenant_id = $1 AND status = 'expired'", [own.id])).toBe(1000);
  expect(await count("SELECT count(*)::int8 AS n FROM oms.events WHERE tenant_id = $1 AND type = 'hold.expired'", [own.id])).toBe(1000);
  expect(await count("SELECT count(*)::int8 AS n FROM ims.inventory_transactions WHERE tenant_id = $1 AND reason = 'hold_expired'", [own.id])).toBe(1000);
  expect(await level(own)).toMatchObject({ on_hand: 1000, held: 0, available: 1000 });
  expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
});
