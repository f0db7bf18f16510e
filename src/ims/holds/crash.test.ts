/**
 * Crash safety of expiry: a process killed with SIGKILL in the middle of an expiry batch (the
 * held units given back and the holds closed, not committed) changes nothing; the next run gives
 * every due hold back exactly once. On PGlite the child opens the same data directory on disk.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, type SharedDatabase } from '../../../test/helpers/shared-db';
import { loadConfig } from '../../config/index';
import { createContext, type AppContext } from '../../context';
import type { Db } from '../../db/handle';

const run = promisify(execFile);
let shared: SharedDatabase;
let tenantId: string;

const contextOn = (db: Db): AppContext => createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const withDb = <T>(work: (ctx: AppContext) => Promise<T>) => shared.with((db) => work(contextOn(db)));

beforeAll(async () => {
  shared = await createSharedDatabase();
  tenantId = await withDb(async (ctx) => {
    const tenant = await ctx.ims.tenants.create({ code: 'expiry-crash', name: 'Expiry crash' });
    await ctx.ims.catalog.create(tenant.id, 'hub', { code: 'H', name: 'Hub' });
    await ctx.ims.catalog.create(tenant.id, 'sku', { code: 'A', name: 'A' });
    await ctx.ims.stock.put(tenant.id, [{ hub: 'H', sku: 'A', on_hand: 100 }], false);
    return tenant.id;
  });
});

afterAll(async () => {
  await shared.drop();
});

it('killed mid-batch: nothing of the batch is kept, and the next run expires every hold exactly once', async () => {
  const ids = await withDb(async (ctx) => {
    const made: string[] = [];
    for (let i = 0; i < 20; i++) made.push((await ctx.ims.holds.create(tenantId, { items: [{ sku: 'A', quantity: 2 }] })).id);
    await ctx.db.query("UPDATE ims.holds SET expires_at = now() - interval '1 second' WHERE tenant_id = $1", [tenantId]);
    return made;
  });

  const crashed = await run(process.execPath, ['--import', 'tsx', 'test/helpers/crashing-expiry.ts', shared.target]).catch((e) => e);
  expect(crashed.signal).toBe('SIGKILL');

  await withDb(async (ctx) => {
    const statuses = async () =>
      (await ctx.db.query<{ status: string }>('SELECT status FROM ims.holds WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, ids])).map(
        (h) => h.status,
      );
    expect(new Set(await statuses())).toEqual(new Set(['active'])); // the killed batch left nothing behind
    expect(await ctx.ims.holds.expireDue()).toBe(20);
    expect(await ctx.ims.holds.expireDue()).toBe(0);
    expect(new Set(await statuses())).toEqual(new Set(['expired']));
    const count = async (sql: string) => (await ctx.db.query<{ n: number }>(sql, [tenantId]))[0]!.n;
    expect(await count("SELECT count(*)::int8 AS n FROM ims.inventory_transactions WHERE tenant_id = $1 AND reason = 'hold_expired'")).toBe(20);
    expect(await count("SELECT count(*)::int8 AS n FROM oms.events WHERE tenant_id = $1 AND type = 'hold.expired'")).toBe(20);
    const [level] = await ctx.db.query<{ held: number; on_hand: number }>('SELECT held, on_hand FROM ims.stock_levels WHERE tenant_id = $1', [tenantId]);
    expect(level).toEqual({ held: 0, on_hand: 100 });
    expect((await ctx.ims.stock.reconcile(tenantId)).mismatches).toEqual([]);
  });
});
