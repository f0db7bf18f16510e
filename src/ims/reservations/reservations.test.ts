import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, stockedTenant, type TestApp, levelOf } from '../../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const expectOk = async (pending: Promise<{ status: number; body: unknown }>) => expect((await pending).status).toBe(200);

const stocked = (stock: [string, string, number][]) => stockedTenant(t, stock);

const level = levelOf;

describe('POST /reservations', () => {
  it('reserves every line and moves units from available to reserved', async () => {
    const own = await stocked([
      ['H1', 'A', 10],
      ['H1', 'B', 5],
    ]);
    const res = await own.as('POST', '/reservations', {
      body: {
        order_id: 'o-1',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 3 },
          { sku: 'B', quantity: 5 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ order_id: 'o-1', hub: 'H1', status: 'reserved' });
    expect(res.body.items).toMatchObject(
      expect.arrayContaining([
        expect.objectContaining({ sku: 'A', hub: 'H1', quantity: 3, allocation: 'requested', committed: 0, released: 0 }),
        expect.objectContaining({ sku: 'B', hub: 'H1', quantity: 5, allocation: 'requested', committed: 0, released: 0 }),
      ]),
    );
    expect(await level(own, 'H1', 'A')).toMatchObject({ on_hand: 10, reserved: 3, available: 7 });
    expect(await level(own, 'H1', 'B')).toMatchObject({ reserved: 5, available: 0 });
    expect((await own.as('GET', '/reservations/o-1')).body.status).toBe('reserved');
  });

  it('reserves nothing when one line is short, and names every shortage', async () => {
    const own = await stocked([
      ['H1', 'A', 10],
      ['H1', 'B', 1],
    ]);
    const res = await own.as('POST', '/reservations', {
      body: {
        order_id: 'o-2',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 3 },
          { sku: 'B', quantity: 2 },
          { sku: 'C', quantity: 1 },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      status: 'insufficient',
      code: 'inventory.insufficient_stock',
      order_id: 'o-2',
      shortages: expect.arrayContaining([
        { sku: 'B', hub: 'H1', requested: 2, available: 1 },
        { sku: 'C', hub: 'H1', requested: 1, available: 0 },
      ]),
    });
    expect(res.body.shortages).toHaveLength(2);
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 0 });
    expect((await own.as('GET', '/reservations/o-2')).status).toBe(404);
    expect((await own.as('GET', '/inventory/transactions?order_id=o-2')).body.data).toEqual([]);
  });

  it('sums lines of the same SKU before checking', async () => {
    const own = await stocked([['H1', 'A', 5]]);
    const short = await own.as('POST', '/reservations', {
      body: {
        order_id: 'o-3',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 3 },
          { sku: 'A', quantity: 3 },
        ],
      },
    });
    expect(short.body.shortages).toEqual([{ sku: 'A', hub: 'H1', requested: 6, available: 5 }]);
    const skuId = (await own.as('GET', '/skus/A')).body.id;
    const ok = await own.as('POST', '/reservations', {
      body: {
        order_id: 'o-3',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 2 },
          { sku: skuId, quantity: 3 },
        ],
      },
    });
    expect(ok.body.items).toMatchObject([{ sku: 'A', hub: 'H1', quantity: 5, allocation: 'requested', committed: 0, released: 0 }]);
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 5, available: 0 });
  });

  it('is idempotent per order id: a repeat answers the first outcome and changes nothing', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    const body = { order_id: 'o-4', hub: 'H1', items: [{ sku: 'A', quantity: 4 }] };
    const first = await own.as('POST', '/reservations', { body });
    const again = await own.as('POST', '/reservations', { body });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, created_at: again.body.created_at, updated_at: again.body.updated_at });
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 4 });
    expect((await own.as('GET', '/inventory/transactions?order_id=o-4')).body.data).toHaveLength(1);
    const other = await own.as('POST', '/reservations', { body: { ...body, items: [{ sku: 'A', quantity: 5 }] } });
    expect(other).toMatchObject({ status: 409, body: { code: 'reservation.mismatch' } });
  });

  it('can succeed after an insufficient attempt once stock arrives', async () => {
    const own = await stocked([['H1', 'A', 1]]);
    const body = { order_id: 'o-5', hub: 'H1', items: [{ sku: 'A', quantity: 2 }] };
    expect((await own.as('POST', '/reservations', { body })).status).toBe(409);
    await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', delta: 1 } });
    expect((await own.as('POST', '/reservations', { body })).status).toBe(200);
  });

  it('names unknown hubs and SKUs, and bad quantities', async () => {
    const own = await stocked([]);
    const unknown = await own.as('POST', '/reservations', {
      body: {
        order_id: 'o-6',
        hub: 'NOPE',
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'ZZ', quantity: 1 },
        ],
      },
    });
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toEqual(['hub', 'items[1].sku']);
    for (const quantity of [0, -1, 1.5, 1e10, '1', null]) {
      const res = await own.as('POST', '/reservations', { body: { order_id: 'o-7', hub: 'H1', items: [{ sku: 'A', quantity }] } });
      expect(res.status, String(quantity)).toBe(422);
      expect(res.body.errors[0].field).toBe('items[0].quantity');
    }
    expect((await own.as('POST', '/reservations', { body: { order_id: 'o-8', hub: 'H1', items: [] } })).status).toBe(422);
  });
});

describe('release and commit', () => {
  it('release gives units back, once; a repeat is harmless', async () => {
    const own = await stocked([['H1', 'A', 10]]);
    await own.as('POST', '/reservations', { body: { order_id: 'r-1', hub: 'H1', items: [{ sku: 'A', quantity: 4 }] } });
    expect((await own.as('DELETE', '/reservations/r-1')).status).toBe(204);
    expect((await own.as('DELETE', '/reservations/r-1')).status).toBe(204);
    expect(await level(own, 'H1', 'A')).toMatchObject({ on_hand: 10, reserved: 0 });
    expect((await own.as('GET', '/reservations/r-1')).body.status).toBe('released');
    expect((await own.as('POST', '/reservations/r-1/commit')).status).toBe(409);
    const repeat = await own.as('POST', '/reservations', { body: { order_id: 'r-1', hub: 'H1', items: [{ sku: 'A', quantity: 4 }] } });
    expect(repeat).toMatchObject({ status: 409, body: { code: 'reservation.closed' } });
    expect((await own.as('DELETE', '/reservations/nope')).status).toBe(404);
  });

  it('commit ships the units: on_hand and reserved both drop, once', async () => {
    const own = await stocked([
      ['H1', 'A', 10],
      ['H1', 'B', 3],
    ]);
    await own.as('POST', '/reservations', {
      body: {
        order_id: 'c-1',
        hub: 'H1',
        items: [
          { sku: 'A', quantity: 4 },
          { sku: 'B', quantity: 3 },
        ],
      },
    });
    const first = await own.as('POST', '/reservations/c-1/commit');
    expect(first).toMatchObject({ status: 200, body: { status: 'committed' } });
    expect((await own.as('POST', '/reservations/c-1/commit')).status).toBe(200);
    expect(await level(own, 'H1', 'A')).toMatchObject({ on_hand: 6, reserved: 0 });
    expect(await level(own, 'H1', 'B')).toMatchObject({ on_hand: 0, reserved: 0 });
    expect((await own.as('DELETE', '/reservations/c-1')).status).toBe(409);
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });
});

describe('concurrency', () => {
  it('500 parallel reservations of 1 unit against on_hand 100: exactly 100 succeed, nothing oversold', async () => {
    const own = await stocked([['H1', 'A', 100]]);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => own.as('POST', '/reservations', { body: { order_id: `p-${i}`, hub: 'H1', items: [{ sku: 'A', quantity: 1 }] } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(400);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.status === 'insufficient')).toBe(true);
    expect(await level(own, 'H1', 'A')).toEqual({ hub: 'H1', sku: 'A', on_hand: 100, reserved: 100, held: 0, available: 0 });
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('two identical reservations racing have one effect', async () => {
    const own = await stocked([
      ['H1', 'A', 10],
      ['H1', 'B', 10],
    ]);
    for (let round = 0; round < 10; round++) {
      const body = {
        order_id: `race-${round}`,
        hub: 'H1',
        items: [
          { sku: 'B', quantity: 1 },
          { sku: 'A', quantity: 1 },
        ],
      };
      const [a, b] = await Promise.all([own.as('POST', '/reservations', { body }), own.as('POST', '/reservations', { body })]);
      expect([a.status, b.status]).toEqual([200, 200]);
    }
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 10 });
    expect(await level(own, 'H1', 'B')).toMatchObject({ reserved: 10 });
    expect((await own.as('GET', '/inventory/transactions?sku=A&limit=500')).body.data).toHaveLength(11);
  });

  it('reservations arriving together share a transaction, yet each caller gets its own outcome', async () => {
    const own = await stocked([
      ['H1', 'A', 5],
      ['H1', 'B', 100],
    ]);
    await expectOk(own.as('POST', '/reservations', { body: { order_id: 'taken', hub: 'H1', items: [{ sku: 'B', quantity: 1 }] } }));
    const send = (body: object) => own.as('POST', '/reservations', { body });
    const [fine, short, unknownSku, mismatch, repeat, sameTwiceA, sameTwiceB, ...rest] = await Promise.all([
      send({ order_id: 'fine', hub: 'H1', items: [{ sku: 'B', quantity: 2 }] }),
      send({ order_id: 'short', hub: 'H1', items: [{ sku: 'A', quantity: 6 }] }),
      send({ order_id: 'unknown', hub: 'H1', items: [{ sku: 'NOPE', quantity: 1 }] }),
      send({ order_id: 'taken', hub: 'H1', items: [{ sku: 'B', quantity: 3 }] }),
      send({ order_id: 'taken', hub: 'H1', items: [{ sku: 'B', quantity: 1 }] }),
      send({ order_id: 'twice', hub: 'H1', items: [{ sku: 'B', quantity: 1 }] }),
      send({ order_id: 'twice', hub: 'H1', items: [{ sku: 'B', quantity: 1 }] }),
      ...Array.from({ length: 20 }, (_, i) => send({ order_id: `many-${i}`, hub: 'H1', items: [{ sku: 'B', quantity: 1 }] })),
    ]);
    expect(fine!.status).toBe(200);
    expect(short!.status).toBe(409);
    expect(short!.body).toMatchObject({ status: 'insufficient', shortages: [{ sku: 'A', requested: 6, available: 5 }] });
    expect(unknownSku!.status).toBe(422);
    expect(unknownSku!.body.errors).toEqual([{ field: 'items[0].sku', value: 'NOPE', message: '"NOPE" names no existing SKU' }]);
    expect(mismatch!.status).toBe(409);
    expect(mismatch!.body.code).toBe('reservation.mismatch');
    expect(repeat!.status).toBe(200);
    expect([sameTwiceA!.status, sameTwiceB!.status]).toEqual([200, 200]);
    expect(rest.map((r) => r.status)).toEqual(Array(20).fill(200));
    // taken 1 + fine 2 + twice 1 (once) + many 20 of B; nothing for the short, unknown or mismatched ones.
    expect(await level(own, 'H1', 'B')).toMatchObject({ reserved: 24 });
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 0 });
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('orders touching overlapping SKUs in opposite orders never deadlock', async () => {
    const own = await stocked([
      ['H1', 'A', 1000],
      ['H1', 'B', 1000],
      ['H1', 'C', 1000],
    ]);
    const orders = Array.from({ length: 200 }, (_, i) => {
      const items = [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 1 },
        { sku: 'C', quantity: 1 },
      ];
      return { order_id: `d-${i}`, hub: 'H1', items: i % 2 ? items : items.reverse() };
    });
    const results = await Promise.all(orders.map((body) => own.as('POST', '/reservations', { body })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await Promise.all(
      orders.slice(0, 100).map((o, i) => (i % 2 ? own.as('DELETE', `/reservations/${o.order_id}`) : own.as('POST', `/reservations/${o.order_id}/commit`))),
    );
    expect(await level(own, 'H1', 'A')).toMatchObject({ on_hand: 950, reserved: 100 });
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });
});
