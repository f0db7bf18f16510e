import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { generatedReference } from './new-order';
import { ORDER_EVENT_TYPES } from '../../contracts/events';

let t: TestApp;
let own: TestTenant;
beforeAll(async () => {
  t = await buildTestApp();
  own = await t.tenant();
  await own.as('POST', '/sellers', { body: { code: 'ACME', name: 'Acme' } });
  await seedCatalog(own, {
    hubs: ['H1', 'H2'],
    skus: ['A', 'B'],
    stock: [
      ['H1', 'A', 10],
      ['H1', 'B', 10],
    ],
  });
});
afterAll(() => t.close());

const order = (extra: Record<string, unknown> = {}) => ({
  customer: { name: 'Mona', email: 'mona@example.com' },
  hub: 'H1',
  items: [
    { sku: 'A', quantity: 2, unit_price: '19.90' },
    { sku: 'B', quantity: 3, unit_price: 0.1 },
  ],
  ...extra,
});

async function events(type?: string) {
  return t.ctx.db.query<{ type: string; key: string; data: any }>(
    // The order's own events (the inventory's, keyed by stock row or order id, are not the OMS's).
    'SELECT type, key, data FROM oms.events WHERE tenant_id = $1 AND ($2::text IS NULL OR type = $2) AND type = ANY($3::text[]) ORDER BY seq',
    [own.id, type ?? null, ORDER_EVENT_TYPES],
  );
}

describe('POST /orders', () => {
  it('stores the order on_hold with exact totals and emits order.created in the same transaction', async () => {
    const res = await own.as('POST', '/orders', {
      body: order({ reference: 'SO-1', seller: 'ACME', shipping_address: '1 Nile St', order_date: '2026-11-20' }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      reference: 'SO-1',
      status: 'on_hold',
      hub: 'H1',
      seller: 'ACME',
      total_amount: '40.10',
      currency: 'USD',
      source: 'api',
      customer: { name: 'Mona', email: 'mona@example.com' },
      shipping_address: '1 Nile St',
      order_date: '2026-11-20T00:00:00.000Z',
    });
    expect(res.body.items).toEqual([
      { sku: 'A', name: 'SKU A', quantity: 2, unit_price: '19.90' },
      { sku: 'B', name: 'SKU B', quantity: 3, unit_price: '0.10' },
    ]);
    const created = (await events('order.created')).filter((e) => e.key === res.body.id);
    expect(created).toHaveLength(1);
    expect(created[0]!.data.order).toMatchObject({ id: res.body.id, status: 'on_hold', total_amount: '40.10' });
  });

  it('finds the inline customer by e-mail (any case) instead of creating a second one', async () => {
    const a = await own.as('POST', '/orders', { body: order() });
    const b = await own.as('POST', '/orders', { body: order({ customer: { name: 'Mona K', email: 'MONA@example.com' } }) });
    expect(a.body.customer.id).toBe(b.body.customer.id);
    const byEmail = await own.as('GET', '/customers?email=mona@EXAMPLE.com');
    expect(byEmail.body.data).toHaveLength(1);
    const viaId = await own.as('POST', '/orders', { body: { ...order(), customer: undefined, customer_id: a.body.customer.id } });
    expect(viaId.body.customer.id).toBe(a.body.customer.id);
  });

  it('refuses a reused reference (409), unknown references (422) and bad money (422)', async () => {
    await own.as('POST', '/orders', { body: order({ reference: 'SO-DUP' }) });
    expect((await own.as('POST', '/orders', { body: order({ reference: 'SO-DUP' }) })).body.code).toBe('order.duplicate_reference');
    const bad = await own.as('POST', '/orders', {
      body: order({
        hub: 'NOPE',
        seller: 'NOPE',
        items: [
          { sku: 'ZZ', quantity: 1 },
          { sku: 'A', quantity: 1, unit_price: '1.999' },
          { sku: 'A', quantity: 1, unit_price: '-1' },
        ],
      }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'hub',
      'items[0].sku',
      'items[1].unit_price',
      'items[2].unit_price',
      'seller',
    ]);
    // An unknown reference is quoted, in the message and as `value`.
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'items[0].sku', message: '"ZZ" names no existing SKU', value: 'ZZ' },
        { field: 'hub', message: '"NOPE" names no existing Hub', value: 'NOPE' },
      ]),
    );
    const arabic = await own.as('POST', '/orders', { body: order({ items: [{ sku: 'ZZ', quantity: 1 }] }), headers: { 'accept-language': 'ar' } });
    expect(arabic.body.errors[0].message).toContain('"ZZ"');
    const missingCustomer = await own.as('POST', '/orders', { body: { ...order(), customer: undefined, customer_id: '00000000-0000-4000-8000-000000000000' } });
    expect(missingCustomer.body.errors).toEqual([
      { field: 'customer_id', message: '"00000000-0000-4000-8000-000000000000" names no existing Customer', value: '00000000-0000-4000-8000-000000000000' },
    ]);
    const both = await own.as('POST', '/orders', { body: { ...order(), customer_id: '00000000-0000-4000-8000-000000000000' } });
    expect(both.body.errors[0].field).toBe('customer_id');
    expect((await events()).filter((e) => e.data.order.reference === 'SO-DUP')).toHaveLength(1);
  });

  it('orders created at the same moment are stored together; a taken reference fails alone', async () => {
    const results = await Promise.all([
      own.as('POST', '/orders', { body: order({ reference: 'SAME-1' }) }),
      own.as('POST', '/orders', { body: order({ reference: 'SAME-1' }) }),
      own.as('POST', '/orders', { body: order({ reference: 'SAME-2', customer: { name: 'New', email: 'new-one@example.com' } }) }),
      own.as('POST', '/orders', { body: order({ reference: 'SAME-3', customer: { name: 'New', email: 'NEW-ONE@example.com' } }) }),
      own.as('POST', '/orders', { body: { ...order(), customer: undefined, customer_id: '00000000-0000-4000-8000-000000000000' } }),
    ]);
    expect(results.map((r) => r.status).sort((a, b) => a - b)).toEqual([201, 201, 201, 409, 422]);
    expect(results[2]!.body.customer.id).toBe(results[3]!.body.customer.id);
    expect((await own.as('GET', '/customers?email=new-one@example.com')).body.data).toHaveLength(1);
    const created = (await events('order.created')).filter((e) => ['SAME-1', 'SAME-2', 'SAME-3'].includes(e.data.order.reference));
    expect(created.map((e) => e.data.order.reference as string).sort((a, b) => a.localeCompare(b))).toEqual(['SAME-1', 'SAME-2', 'SAME-3']);
    expect(created.find((e) => e.data.order.reference === 'SAME-3')!.data.order.customer.name).toBe('New');
  });

  it('honours Idempotency-Key: the same order is created once', async () => {
    const headers = { 'idempotency-key': 'order-key-1' };
    const a = await own.as('POST', '/orders', { body: order(), headers });
    const b = await own.as('POST', '/orders', { body: order(), headers });
    expect(a.status).toBe(201);
    // The answer was stored with the order, in its group commit: the replay is the first answer, byte for byte.
    expect(b).toMatchObject({ status: 201, headers: { 'idempotent-replayed': 'true' } });
    expect(b.text).toBe(a.text);
    expect((await own.as('GET', `/orders?reference=${a.body.reference}`)).body.data).toHaveLength(1);
  });

  it('one key sent five times at once (one batch of the group commit): one order; the others wait (409) or replay it', async () => {
    const headers = { 'idempotency-key': 'order-key-race' };
    const body = { ...order(), reference: undefined, customer: { name: 'Race', email: 'race@x.io' } };
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => own.as('POST', '/orders', { body, headers })));
    expect(answers.every((r) => r.status === 201 || (r.status === 409 && r.body.code === 'idempotency.in_progress'))).toBe(true);
    const ids = new Set(answers.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const again = await own.as('POST', '/orders', { body, headers });
    expect(again).toMatchObject({ status: 201, body: { id: [...ids][0] }, headers: { 'idempotent-replayed': 'true' } });
    const stored = await t.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM oms.orders o JOIN oms.customers c ON c.id = o.customer_id WHERE o.tenant_id = $1 AND c.email = 'race@x.io'`,
      [own.id],
    );
    expect(stored[0]!.n).toBe(1);
  });
});

describe('GET /orders', () => {
  it('filters and pages newest first without repeats', async () => {
    const mine = await t.tenant();
    await seedCatalog(mine, { hubs: ['X', 'Y'], skus: ['S'] });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await mine.as('POST', '/orders', {
        body: { customer: { name: 'C', email: `c${i % 2}@x.io` }, hub: i < 4 ? 'X' : 'Y', items: [{ sku: 'S', quantity: 1 }] },
      });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let url = '/orders?limit=3';
    for (;;) {
      const page = await mine.as('GET', url);
      seen.push(...page.body.data.map((o: { id: string }) => o.id));
      if (!page.body.next_cursor) break;
      url = `/orders?limit=3&cursor=${page.body.next_cursor}`;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await mine.as('GET', '/orders?hub=Y')).body.data).toHaveLength(3);
    expect((await mine.as('GET', '/orders?status=on_hold&hub=X')).body.data).toHaveLength(4);
    expect((await mine.as('GET', '/orders?status=shipped')).body.data).toHaveLength(0);
    const customer = (await mine.as('GET', `/orders/${ids[0]}`)).body.customer.id;
    expect((await mine.as('GET', `/orders?customer_id=${customer}`)).body.data).toHaveLength(4);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await mine.as('GET', `/orders?from=${future}`)).body.data).toHaveLength(0);
    expect((await mine.as('GET', `/orders?to=${future}`)).body.data).toHaveLength(7);
    const some = (await mine.as('GET', `/orders?ids=${ids[1]},${ids[5]},00000000-0000-4000-8000-000000000000`)).body.data;
    expect(some.map((o: { id: string }) => o.id)).toEqual([ids[5], ids[1]]);
    expect((await mine.as('GET', '/orders?ids=not-a-uuid')).status).toBe(422);
    expect((await mine.as('GET', '/orders?status=lost')).status).toBe(422);
    expect((await mine.as('GET', '/orders/not-an-id')).status).toBe(404);
  });
});

describe('GET /orders while orders are being created', () => {
  it('pages without repeats and without skipping any order that existed when paging began', async () => {
    const mine = await t.tenant();
    await seedCatalog(mine, { hubs: ['X'], skus: ['S'] });
    const body = { customer: { name: 'C', email: 'c@x.io' }, hub: 'X', items: [{ sku: 'S', quantity: 1 }] };
    const existing = new Set<string>();
    for (let i = 0; i < 12; i++) existing.add((await mine.as('POST', '/orders', { body })).body.id);
    const seen: string[] = [];
    let url = '/orders?limit=4';
    for (;;) {
      const [page] = await Promise.all([mine.as('GET', url), mine.as('POST', '/orders', { body }), mine.as('POST', '/orders', { body })]);
      seen.push(...page.body.data.map((o: { id: string }) => o.id));
      if (!page.body.next_cursor) break;
      url = `/orders?limit=4&cursor=${page.body.next_cursor}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...existing].every((id) => seen.includes(id))).toBe(true);
  });
});

describe('lifecycle', () => {
  it('refuses transitions outside the table with 409 naming the allowed ones', async () => {
    const created = (await own.as('POST', '/orders', { body: order() })).body;
    const res = await own.as('PUT', `/orders/${created.id}/status`, { body: { status: 'shipped' } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'order.transition_refused', allowed: ['cancelled'] });
    expect((await own.as('PUT', `/orders/${created.id}/status`, { body: { status: 'new_order' } })).status).toBe(422);
  });

  it('cancels an on_hold order, emits order.updated with previous_status, and deletes it', async () => {
    const created = (await own.as('POST', '/orders', { body: order() })).body;
    const cancelled = await own.as('POST', `/orders/${created.id}/cancel`, { body: { reason: 'customer asked' } });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', status_reason: 'customer asked' });
    expect((await own.as('POST', `/orders/${created.id}/cancel`)).status).toBe(409);
    const updated = (await events('order.updated')).filter((e) => e.key === created.id);
    expect(updated.map((e) => [e.data.previous_status, e.data.order.status])).toEqual([['on_hold', 'cancelled']]);
    expect((await own.as('DELETE', `/orders/${created.id}`)).status).toBe(204);
    expect((await own.as('GET', `/orders/${created.id}`)).status).toBe(404);
    expect((await events('order.deleted')).filter((e) => e.key === created.id)).toHaveLength(1);
  });

  it('cancelling a held order that IMS already reserved (the finalizer died before moving it) gives the units back, from the event if not at once', async () => {
    const level = async () => (await own.as('GET', '/inventory?hub=H1&skus=A')).body.data[0].reserved as number;
    const reservedBefore = await level();
    const heldReserved = async () => {
      const created = (await own.as('POST', '/orders', { body: order({ items: [{ sku: 'A', quantity: 2 }] }) })).body;
      await own.as('POST', '/reservations', { body: { order_id: created.id, hub: 'H1', items: [{ sku: 'A', quantity: 2 }] } });
      return created.id as string;
    };
    const first = await heldReserved();
    expect(await level()).toBe(reservedBefore + 2);
    expect((await own.as('POST', `/orders/${first}/cancel`)).body.status).toBe('cancelled');
    expect(await level()).toBe(reservedBefore);

    // The release right after the commit fails (IMS away): the order is cancelled all the same, and
    // its order.updated carries the release to the finalizer group.
    const second = await heldReserved();
    const inventory = t.ctx.oms.inventory;
    const release = inventory.release.bind(inventory);
    inventory.release = () => Promise.reject(new Error('IMS away'));
    try {
      expect((await own.as('POST', `/orders/${second}/cancel`)).body.status).toBe('cancelled');
    } finally {
      inventory.release = release;
    }
    expect(await level()).toBe(reservedBefore + 2);
    const [event] = (await events('order.updated')).filter((e) => e.key === second);
    expect(event!.data.release_stock).toBe(true);
    const handle = (e: typeof event) => t.ctx.oms.finalizerHandler([{ ...e, id: crypto.randomUUID(), tenant_id: own.id } as never]);
    await handle(event);
    expect(await level()).toBe(reservedBefore);
    expect((await own.as('GET', `/reservations/${second}`)).body.status).toBe('released');

    // A held order deleted outright: its order.deleted gives back what IMS held for it.
    const third = await heldReserved();
    expect((await own.as('DELETE', `/orders/${third}`)).status).toBe(204);
    expect(await level()).toBe(reservedBefore + 2);
    await handle((await events('order.deleted')).find((e) => e.key === third));
    expect(await level()).toBe(reservedBefore);
  });

  it('ships a reserved order (commits stock), delivers it, and refuses to delete it', async () => {
    const created = (await own.as('POST', '/orders', { body: order({ items: [{ sku: 'A', quantity: 2 }] }) })).body;
    // what the finalizer does: reserve, then move on_hold → new_order with its deliveries
    const reserved = await own.as('POST', '/reservations', { body: { order_id: created.id, hub: 'H1', items: [{ sku: 'A', quantity: 2 }] } });
    await t.ctx.oms.heldOrders.markReserved(own.id, [reserved.body]);
    const shipped = await own.as('PUT', `/orders/${created.id}/status`, { body: { status: 'shipped' } });
    expect(shipped.body.status).toBe('shipped');
    expect((await own.as('GET', `/reservations/${created.id}`)).body.status).toBe('committed');
    expect((await own.as('DELETE', `/orders/${created.id}`)).body.code).toBe('order.not_deletable');
    expect((await own.as('PUT', `/orders/${created.id}/status`, { body: { status: 'delivered' } })).body.status).toBe('delivered');
    expect((await own.as('POST', `/orders/${created.id}/cancel`)).body.allowed).toEqual([]);
    // Its history, from its events, oldest first.
    const history = (await own.as('GET', `/orders/${created.id}/history`)).body.data;
    expect(history.map((h: { type: string; previous_status: string | null; status: string }) => [h.type, h.previous_status, h.status])).toEqual([
      ['order.created', null, 'on_hold'],
      ['order.updated', 'on_hold', 'new_order'],
      ['delivery.shipped', null, null],
      ['order.updated', 'new_order', 'shipped'],
      ['delivery.delivered', null, null],
      ['order.updated', 'shipped', 'delivered'],
    ]);
    expect((await (await t.tenant()).as('GET', `/orders/${created.id}/history`)).status).toBe(404);
  });

  it('cancelling a new_order releases its stock exactly once', async () => {
    const created = (await own.as('POST', '/orders', { body: order({ items: [{ sku: 'B', quantity: 4 }] }) })).body;
    const reserved = await own.as('POST', '/reservations', { body: { order_id: created.id, hub: 'H1', items: [{ sku: 'B', quantity: 4 }] } });
    await t.ctx.oms.heldOrders.markReserved(own.id, [reserved.body]);
    const before = (await own.as('GET', '/inventory?hub=H1&skus=B')).body.data[0].reserved;
    const results = await Promise.all([1, 2, 3].map(() => own.as('POST', `/orders/${created.id}/cancel`)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect((await own.as('GET', '/inventory?hub=H1&skus=B')).body.data[0].reserved).toBe(before - 4);
    expect(
      (await own.as('GET', `/inventory/transactions?order_id=${created.id}`)).body.data.filter((x: { reason: string }) => x.reason === 'release'),
    ).toHaveLength(1);
  });
});

describe('GET /stats', () => {
  it('counts orders by status and stock units', async () => {
    const hourBefore = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const res = await own.as('GET', '/stats');
    const hourAfter = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    expect(res.status).toBe(200);
    const stored = await t.ctx.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 GROUP BY status',
      [own.id],
    );
    expect(stored.length).toBeGreaterThan(0); // this file's orders are there to be counted
    expect(res.body.orders_by_status).toEqual({
      on_hold: 0,
      new_order: 0,
      partially_shipped: 0,
      shipped: 0,
      delivered: 0,
      partially_returned: 0,
      returned: 0,
      cancelled: 0,
      ...Object.fromEntries(stored.map((r) => [r.status, Number(r.n)])),
    });
    const levels = (
      await Promise.all(['H1', 'H2'].map(async (hub) => (await own.as('GET', `/inventory?hub=${hub}`)).body.data as { on_hand: number; reserved: number }[]))
    ).flat();
    const units = (key: 'on_hand' | 'reserved') => levels.reduce((n, l) => n + l[key], 0);
    expect(res.body).toMatchObject({ skus: 2, units_on_hand: units('on_hand'), units_reserved: units('reserved') });
    expect(res.body.uploads_by_status).toEqual({ queued: 0, processing: 0, completed: 0, failed: 0 });
    // The last 24 hours, oldest first, empty hours included; this file's orders are in the last one.
    const hours = res.body.orders_by_hour as { hour: string; orders: number }[];
    expect(hours).toHaveLength(24);
    expect([hourBefore, hourAfter]).toContain(new Date(hours[23]!.hour).getTime()); // the request may straddle an hour
    expect(hours.reduce((n, h) => n + h.orders, 0)).toBe(Object.values(res.body.orders_by_status as Record<string, number>).reduce((n, c) => n + c, 0));
  });
});

describe('tenant isolation on OMS routes', () => {
  it('another tenant sees none of these orders or customers and cannot change them', async () => {
    const stranger = await t.tenant();
    const mine = (await own.as('POST', '/orders', { body: order() })).body;
    expect((await stranger.as('GET', `/orders/${mine.id}`)).status).toBe(404);
    expect((await stranger.as('POST', `/orders/${mine.id}/cancel`)).status).toBe(404);
    expect((await stranger.as('PUT', `/orders/${mine.id}/status`, { body: { status: 'cancelled' } })).status).toBe(404);
    expect((await stranger.as('DELETE', `/orders/${mine.id}`)).status).toBe(404);
    expect((await stranger.as('GET', '/orders')).body.data).toEqual([]);
    expect((await stranger.as('GET', `/customers/${mine.customer.id}`)).status).toBe(404);
    expect((await stranger.as('GET', '/customers?email=mona@example.com')).body.data).toEqual([]);
    expect((await stranger.as('POST', '/orders', { body: { ...order(), customer: undefined, customer_id: mine.customer.id } })).status).toBe(422);
    expect((await stranger.as('POST', '/orders', { body: order() })).status).toBe(422); // H1, A, B are not the stranger's
    expect((await stranger.as('GET', '/stats')).body.orders_by_status.on_hold).toBe(0);
    expect((await own.as('GET', `/orders/${mine.id}`)).body.status).toBe('on_hold');
  });
});

describe('generated order references', () => {
  it('encode the whole id, so ids from one millisecond never collide', () => {
    const a = generatedReference('01a200be-bc86-704a-9501-000000000001');
    const b = generatedReference('01a200be-bc86-704a-9501-000000000002');
    expect(a).toMatch(/^ORD-[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a).not.toBe(b);
    expect(a < b).toBe(true);
  });
});
