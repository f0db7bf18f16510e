/**
 * Server only: several processes, each with its own connection pool, reserve the same hot SKU
 * at once. (PGlite is one process by design: this cannot be asked of it.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, type TestApp } from '../../../test/helpers/app';

const run = promisify(execFile);
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

it('4 processes × 125 reservations of 1 unit against on_hand 100: exactly 100 succeed', async () => {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A'], stock: [['H1', 'A', 100]] });
  const outputs = await Promise.all(
    [0, 1, 2, 3].map((p) => run(process.execPath, ['--import', 'tsx', 'test/helpers/reserve-worker.ts', t.database.url!, own.id, String(p * 125), '125'])),
  );
  const tallies = outputs.map((o) => JSON.parse(o.stdout) as { reserved: number; insufficient: number });
  expect(tallies.reduce((n, x) => n + x.reserved, 0)).toBe(100);
  expect(tallies.reduce((n, x) => n + x.insufficient, 0)).toBe(400);
  const level = (await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0];
  expect(level).toMatchObject({ on_hand: 100, reserved: 100, available: 0 });
  expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
});
