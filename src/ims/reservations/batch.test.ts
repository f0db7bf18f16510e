import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, stockedTenant, type TestApp } from '../../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const stocked = (stock: [string, string, number][]) => stockedTenant(t, stock);

const req = (order_id: string, items: [string, number][], hub = 'H1') => ({ order_id, hub, items: items.map(([sku, quantity]) => ({ sku, quantity })) });

describe('POST /reservations/batch', () => {
  it('serves the oldest first, each order all lines or none, and later smaller orders still fit', async () => {
    const own = await stocked([
      ['H1', 'A', 5],
      ['H1', 'B', 1],
    ]);
    const res = await own.as('POST', '/reservations/batch', {
      body: {
        reservations: [
          req('o1', [['A', 3]]),
          req('o2', [
            ['A', 1],
            ['B', 2],
          ]),
          req('o3', [['A', 2]]),
          req('o4', [['A', 1]]),
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { order_id: string; status: string }) => [r.order_id, r.status])).toEqual([
      ['o1', 'reserved'],
      ['o2', 'insufficient'],
      ['o3', 'reserved'],
      ['o4', 'insufficient'],
    ]);
    expect(res.body.results[1].shortages).toEqual([{ sku: 'B', hub: 'H1', requested: 2, available: 1 }]);
    const levels = (await own.as('GET', '/inventory?hub=H1&skus=A,B')).body.data;
    expect(levels.map((l: { reserved: number }) => l.reserved)).toEqual([5, 0]);
    expect((await own.as('GET', '/reservations/o2')).status).toBe(404); // nothing kept for it
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('answers orders reserved before as replays, and changes nothing for them', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    await own.as('POST', '/reservations', { body: req('r1', [['A', 2]]) });
    const res = await own.as('POST', '/reservations/batch', { body: { reservations: [req('r1', [['A', 2]]), req('r2', [['A', 2]])] } });
    expect(res.body.results.map((r: { replayed: boolean }) => r.replayed)).toEqual([true, false]);
    expect((await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0].reserved).toBe(4);
  });

  it('a hot SKU is written once per batch, with one ledger row per order', async () => {
    const own = await stocked([['H1', 'A', 1000]]);
    const reservations = Array.from({ length: 200 }, (_, i) => req(`h${i}`, [['A', 1]]));
    // Every row version the batch writes to ims.stock_levels is counted by a trigger of the test's own.
    await t.ctx.db.query('CREATE TABLE public.stock_writes (n int8 NOT NULL)');
    await t.ctx.db.query('INSERT INTO public.stock_writes VALUES (0)');
    await t.ctx.db.query(
      `CREATE FUNCTION public.count_stock_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE public.stock_writes SET n = n + 1; RETURN NEW; END $$`,
    );
    await t.ctx.db.query('CREATE TRIGGER count_stock_writes AFTER UPDATE ON ims.stock_levels FOR EACH ROW EXECUTE FUNCTION public.count_stock_write()');
    let res;
    try {
      res = await own.as('POST', '/reservations/batch', { body: { reservations } });
    } finally {
      await t.ctx.db.query('DROP TRIGGER count_stock_writes ON ims.stock_levels');
    }
    expect((await t.ctx.db.query<{ n: number }>('SELECT n::int AS n FROM public.stock_writes'))[0]!.n).toBe(1);
    const levelEvents = await t.ctx.db.query(
      `SELECT 1 FROM oms.events WHERE tenant_id = $1 AND type = 'inventory.level_changed' AND data->>'reason' = 'reserve'`,
      [own.id],
    );
    expect(levelEvents).toHaveLength(1);
    expect(res.body.results.every((r: { status: string }) => r.status === 'reserved')).toBe(true);
    const trail = (await own.as('GET', '/inventory/transactions?sku=A&limit=500')).body.data;
    const reserves = trail.filter((x: { reason: string }) => x.reason === 'reserve');
    expect(reserves).toHaveLength(200);
    expect(reserves.map((x: { reserved_after: number }) => x.reserved_after).sort((a: number, b: number) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('names unknown hubs and SKUs and duplicate order ids (422), reserving nothing', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    const res = await own.as('POST', '/reservations/batch', {
      body: { reservations: [req('u1', [['A', 1]]), req('u1', [['A', 1]]), req('u2', [['ZZ', 1]], 'NOPE')] },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['[1].order_id', '[2].hub', '[2].items[0].sku']);
    expect((await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0].reserved).toBe(0);
  });
});
