import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, stockedTenant, type TestApp } from '../../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const stocked = (stock: [string, string, number][] = []) => stockedTenant(t, stock);

describe('PUT /inventory', () => {
  it('sets a count, adjusts by delta, and answers the level', async () => {
    const own = await stocked();
    const set = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 10 } });
    expect(set).toMatchObject({ status: 200, body: { hub: 'H1', sku: 'A', on_hand: 10, reserved: 0, available: 10 } });
    const add = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', delta: 5, reason: 'receipt PO-9' } });
    expect(add.body.on_hand).toBe(15);
    const remove = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', delta: -3 } });
    expect(remove.body.on_hand).toBe(12);
    const trail = await own.as('GET', '/inventory/transactions?sku=A');
    expect(trail.body.data.map((x: { delta_on_hand: number; reason: string; on_hand_after: number }) => [x.delta_on_hand, x.reason, x.on_hand_after])).toEqual([
      [-3, 'adjustment', 12],
      [5, 'receipt PO-9', 15],
      [10, 'count', 10],
    ]);
  });

  it('applies a batch all-or-nothing: one bad entry changes nothing', async () => {
    const own = await stocked([['H1', 'A', 1]]);
    const ok = await own.as('PUT', '/inventory', {
      body: [
        { hub: 'H1', sku: 'A', delta: 1 },
        { hub: 'H1', sku: 'A', delta: 1 },
        { hub: 'H2', sku: 'B', on_hand: 7 },
      ],
    });
    expect(ok.body.data.map((l: { on_hand: number }) => l.on_hand)).toEqual([3, 3, 7]);
    const bad = await own.as('PUT', '/inventory', {
      body: [
        { hub: 'H1', sku: 'A', delta: 10 },
        { hub: 'H2', sku: 'B', delta: -100 },
      ],
    });
    expect(bad.status).toBe(409);
    expect(bad.body.errors).toEqual([{ field: '[1].delta', message: expect.stringContaining('below') }]);
    const unknown = await own.as('PUT', '/inventory', {
      body: [
        { hub: 'H1', sku: 'A', delta: 1 },
        { hub: 'NOPE', sku: 'ZZ', delta: 1 },
      ],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toEqual(['[1].hub', '[1].sku']);
    const levels = await own.as('GET', '/inventory?hub=H1&skus=A');
    expect(levels.body.data[0].on_hand).toBe(3);
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('guards a count with expected_on_hand (compare-and-swap)', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    const stale = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 4, expected_on_hand: 9 } });
    expect(stale).toMatchObject({ status: 409, body: { code: 'inventory.stale_on_hand' } });
    expect(stale.body.detail).toContain('found 10');
    const fresh = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 4, expected_on_hand: 10 } });
    expect(fresh.body.on_hand).toBe(4);
  });

  it('never lets on_hand fall below reserved', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    await own.as('POST', '/reservations', { body: { order_id: 'o-1', hub: 'H1', items: [{ sku: 'A', quantity: 6 }] } });
    const res = await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 5 } });
    expect(res).toMatchObject({ status: 409, body: { code: 'inventory.below_reserved' } });
    expect((await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 6 } })).body).toMatchObject({ available: 0 });
  });

  it('rejects bad quantities and shapes with 422 naming the field', async () => {
    const own = await stocked();
    const cases: [unknown, string][] = [
      [{ hub: 'H1', sku: 'A', on_hand: -1 }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', on_hand: 1.5 }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', on_hand: '5' }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', on_hand: 1e15 }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', delta: -1e15 }, 'delta'],
      [{ hub: 'H1', sku: 'A' }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', on_hand: 1, delta: 1 }, 'on_hand'],
      [{ hub: 'H1', sku: 'A', on_hand: 1, bogus: true }, 'bogus'],
      [{ sku: 'A', on_hand: 1 }, 'hub'],
    ];
    for (const [body, field] of cases) {
      const res = await own.as('PUT', '/inventory', { body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    const tooMany = Array.from({ length: 1001 }, () => ({ hub: 'H1', sku: 'A', delta: 1 }));
    const res = await own.as('PUT', '/inventory', { body: tooMany });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'must have at most 1000 items' }]);
    expect((await own.as('PUT', '/inventory', { body: [] })).status).toBe(422);
  });

  it('accepts a full batch of 1000', async () => {
    const own = await t.tenant();
    const skus = Array.from({ length: 250 }, (_, i) => `S${i}`);
    await seedCatalog(own, { hubs: ['H1', 'H2', 'H3', 'H4'], skus });
    const body = ['H1', 'H2', 'H3', 'H4'].flatMap((hub) => skus.map((sku, i) => ({ hub, sku, on_hand: i + 1 })));
    const res = await own.as('PUT', '/inventory', { body });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1000);
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });
});

describe('GET /inventory', () => {
  it('answers one row per requested SKU in request order, zeros where nothing is stocked', async () => {
    const own = await stocked([['H1', 'B', 4]]);
    const res = await own.as('GET', '/inventory?hub=H1&skus=C,B,A');
    expect(res.body.data).toEqual([
      { hub: 'H1', sku: 'C', on_hand: 0, reserved: 0, held: 0, available: 0 },
      { hub: 'H1', sku: 'B', on_hand: 4, reserved: 0, held: 0, available: 4 },
      { hub: 'H1', sku: 'A', on_hand: 0, reserved: 0, held: 0, available: 0 },
    ]);
  });

  it('pages through every SKU when none is named', async () => {
    const own = await stocked([['H2', 'A', 1]]);
    const first = await own.as('GET', '/inventory?hub=H2&limit=2');
    expect(first.body.data).toHaveLength(2);
    const second = await own.as('GET', `/inventory?hub=H2&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
  });

  it('names unknown hubs and SKUs (422)', async () => {
    const own = await stocked();
    expect((await own.as('GET', '/inventory?hub=NOPE')).body.errors[0].field).toBe('hub');
    const res = await own.as('GET', '/inventory?hub=H1&skus=A,NOPE');
    expect(res.body.errors[0]).toMatchObject({ field: 'skus', message: expect.stringContaining('NOPE') });
    expect((await own.as('GET', '/inventory')).body.errors[0].field).toBe('hub');
  });
});

describe('GET /inventory/transactions', () => {
  it('filters by hub, sku, order and time, newest first, with a cursor', async () => {
    const own = await stocked([
      ['H1', 'A', 10],
      ['H2', 'A', 10],
      ['H1', 'B', 10],
    ]);
    await own.as('POST', '/reservations', {
      body: {
        order_id: 'ord-7',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
      },
    });
    const byOrder = await own.as('GET', '/inventory/transactions?order_id=ord-7');
    expect(byOrder.body.data.map((x: { sku: string; delta_reserved: number }) => [x.sku, x.delta_reserved]).sort()).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
    expect((await own.as('GET', '/inventory/transactions?hub=H2')).body.data).toHaveLength(1);
    expect((await own.as('GET', '/inventory/transactions?hub=H1&sku=A')).body.data).toHaveLength(2);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await own.as('GET', `/inventory/transactions?from=${future}`)).body.data).toHaveLength(0);
    expect((await own.as('GET', `/inventory/transactions?to=${future}`)).body.data).toHaveLength(5);
    expect((await own.as('GET', '/inventory/transactions?from=yesterday')).status).toBe(422);

    const all: string[] = [];
    let url = '/inventory/transactions?limit=2';
    for (;;) {
      const page = await own.as('GET', url);
      all.push(...page.body.data.map((x: { id: string }) => x.id));
      if (!page.body.next_cursor) break;
      url = `/inventory/transactions?limit=2&cursor=${page.body.next_cursor}`;
    }
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);
  });
});

describe('GET /inventory/reconcile', () => {
  it('finds a level that was changed behind the ledger', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    expect((await own.as('GET', '/inventory/reconcile')).body).toEqual({ mismatches: [] });
    // Simulate corruption outside the service; the reconciliation must notice it.
    await t.ctx.db.query('UPDATE ims.stock_levels SET on_hand = 11 WHERE tenant_id = $1', [own.id]);
    const res = await own.as('GET', '/inventory/reconcile');
    expect(res.body.mismatches).toEqual([{ hub: 'H1', sku: 'A', on_hand: 11, ledger_on_hand: 10, reserved: 0, ledger_reserved: 0, held: 0, ledger_held: 0 }]);
  });
});
