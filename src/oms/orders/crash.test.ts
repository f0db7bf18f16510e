/**
 * Crash safety: a finalizer process killed with SIGKILL between reserving and moving the
 * order, or between moving it and committing its event offset. After a restart every order is
 * new_order and reserved exactly once, and the stock ledger equals the levels.
 * On PGlite the child opens the same data directory on disk (one process at a time).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, type SharedDatabase } from '../../../test/helpers/shared-db';
import { loadConfig } from '../../config/index';
import { createContext, type AppContext } from '../../context';
import type { Db } from '../../db/handle';
import { startFinalizer } from './finalizer-role';

const run = promisify(execFile);
let shared: SharedDatabase;
let tenantId: string;

const contextOn = (db: Db): AppContext => createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const withDb = <T>(work: (ctx: AppContext) => Promise<T>) => shared.with((db) => work(contextOn(db)));

beforeAll(async () => {
  shared = await createSharedDatabase();
  tenantId = await withDb(async (ctx) => {
    const tenant = await ctx.ims.tenants.create({ code: 'crash', name: 'Crash' });
    await ctx.ims.catalog.create(tenant.id, 'hub', { code: 'H', name: 'Hub' });
    for (const code of ['A', 'B']) await ctx.ims.catalog.create(tenant.id, 'sku', { code, name: code });
    await ctx.ims.stock.put(
      tenant.id,
      [
        { hub: 'H', sku: 'A', on_hand: 100 },
        { hub: 'H', sku: 'B', on_hand: 100 },
      ],
      true,
    );
    return tenant.id;
  });
});

afterAll(async () => {
  await shared.drop();
});

it.each(['after-reserve', 'after-move'])('killed %s: after a restart each order is reserved once and new_order', async (point) => {
  const ids = await withDb(async (ctx) => {
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const order = await ctx.oms.orders.create(tenantId, {
        customer: { name: 'C', email: 'c@x.io' },
        hub: 'H',
        items: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
      });
      placed.push(order.id);
    }
    return placed;
  });

  const target = shared.target;
  const crashed = await run(process.execPath, ['--import', 'tsx', 'test/helpers/crashing-finalizer.ts', target, point]).catch((e) => e);
  expect(crashed.signal).toBe('SIGKILL');

  await withDb(async (ctx) => {
    // The killed process still holds the finalizer's lease on the event log; a restarted one
    // takes over once it runs out (30 s). Let that time pass.
    await ctx.db.query("UPDATE oms.consumer_offsets SET lease_until = now() - interval '1 second' WHERE consumer = 'finalizer'");
    const role = await startFinalizer(ctx, { sweepMs: 3_600_000 });
    await role.drain();
    await role.stop();
    const orders = await ctx.db.query<{ status: string }>('SELECT status FROM oms.orders WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, ids]);
    expect(orders.map((o) => o.status)).toEqual(['new_order', 'new_order', 'new_order']);
    const reserves = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM ims.inventory_transactions WHERE tenant_id = $1 AND reason = 'reserve' AND order_id = ANY($2::text[]) GROUP BY order_id`,
      [tenantId, ids],
    );
    expect(reserves.map((r) => r.n)).toEqual([2, 2, 2]); // two lines each, reserved once
    expect((await ctx.ims.stock.reconcile(tenantId)).mismatches).toEqual([]);
  });
});
