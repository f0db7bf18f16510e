/**
 * Server only: four service processes (`oms start --roles api`, each with its own pool and its
 * own group commit) take 500 concurrent 1-unit reservations of one SKU with 100 on hand, over
 * HTTP. (PGlite is one process by design: this cannot be asked of it.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Pool } from 'undici';
import { buildTestApp, seedCatalog, ADMIN_KEY, type TestApp } from '../../../test/helpers/app';
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

it('4 service processes × 125 concurrent reservations of 1 unit against on_hand 100: exactly 100 succeed', async () => {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A'], stock: [['H1', 'A', 100]] });
  const ports = await Promise.all([0, 1, 2, 3].map(() => freePort()));
  const env = { DATABASE_URL: t.database.url!, DATABASE_POOL_SIZE: '4', OMS_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0' };
  processes.push(...(await Promise.all(ports.map((port, i) => startRole(`api-${i}`, 'api', env, port)))));
  const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: 125 }));

  const statuses = await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const res = await pools[i % 4]!.request({
        method: 'POST',
        path: '/reservations',
        headers: { authorization: `Bearer ${own.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ order_id: `proc-${i}`, hub: 'H1', items: [{ sku: 'A', quantity: 1 }] }),
      });
      await res.body.dump();
      return res.statusCode;
    }),
  );
  await Promise.all(pools.map((pool) => pool.close()));

  expect(statuses.filter((s) => s === 200)).toHaveLength(100);
  expect(statuses.filter((s) => s === 409)).toHaveLength(400);
  const level = (await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0];
  expect(level).toMatchObject({ on_hand: 100, reserved: 100, available: 0 });
  expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
});
