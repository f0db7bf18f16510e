/**
 * Orders across hubs (black box, through HTTP): allocation, deliveries, partial shipments,
 * cancelling what has not shipped, returns, and the stock ledger behind each step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, multipartBody, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import type { RunningRole } from '../../shared/running-role';
import { startFinalizer } from '../orders/finalizer-role';
import { startIngest } from '../uploads/ingest-role';

let t: TestApp;
let finalizer: RunningRole;
let ingest: RunningRole;
beforeAll(async () => {
  t = await buildTestApp();
  finalizer = await startFinalizer(t.ctx, { sweepMs: 3_600_000 });
  ingest = await startIngest(t.ctx);
});
afterAll(async () => {
  await ingest.stop();
  await finalizer.stop();
  await t.close();
});

/** Hubs A and B (A first by priority); SKU X only at A, Y only at B, Z at both. */
async function twoHubs(stock: { x?: number; y?: number; za?: number; zb?: number } = {}, settings?: Record<string, string>): Promise<TestTenant> {
  const own = await t.tenant();
  if (settings) await expectStatus(t.request('PATCH', `/tenants/${own.id}`, { body: { settings } }), 200);
  await expectStatus(own.as('POST', '/hubs', { body: { code: 'A', name: 'Hub A', priority: 1 } }), 201);
  await expectStatus(own.as('POST', '/hubs', { body: { code: 'B', name: 'Hub B', priority: 2 } }), 201);
  await seedCatalog(own, {
    skus: ['X', 'Y', 'Z'],
    stock: [
      ['A', 'X', stock.x ?? 10],
      ['B', 'Y', stock.y ?? 10],
      ['A', 'Z', stock.za ?? 10],
      ['B', 'Z', stock.zb ?? 10],
    ],
  });
  return own;
}

const customer = { name: 'C', email: 'c@x.io' };

async function reservedOrder(own: TestTenant, items: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const created = await expectStatus(own.as('POST', '/orders', { body: { customer, items, ...extra } }), 201);
  await finalizer.drain();
  return (await expectStatus(own.as('GET', `/orders/${created.body.id}`), 200)).body;
}

const level = async (own: TestTenant, hub: string, sku: string) =>
  (await own.as('GET', `/inventory?hub=${hub}&skus=${sku}`)).body.data[0] as { on_hand: number; reserved: number; available: number };
const ledger = async (own: TestTenant, orderId: string) =>
  (await own.as('GET', `/inventory/transactions?order_id=${orderId}&limit=100`)).body.data as {
    hub: string;
    sku: string;
    delta_on_hand: number;
    delta_reserved: number;
    reason: string;
    operation_id: string | null;
  }[];
const reconciled = async (own: TestTenant) => expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
const ship = (own: TestTenant, orderId: string, deliveryId: string, body?: object) =>
  own.as('POST', `/orders/${orderId}/deliveries/${deliveryId}/ship`, body ? { body } : {});
const deliver = (own: TestTenant, orderId: string, deliveryId: string) => own.as('POST', `/orders/${orderId}/deliveries/${deliveryId}/deliver`);
const byHub = (deliveries: any[], hub: string, status = 'pending') => deliveries.find((d) => d.hub === hub && d.status === status);

describe('allocation across hubs', () => {
  it('an order with no hub whose SKUs sit at different hubs gets one delivery per hub, each with its own lines reserved', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(own, [
      { sku: 'X', quantity: 2 },
      { sku: 'Y', quantity: 3 },
    ]);
    expect(order.status).toBe('new_order');
    expect(order.hub).toBeUndefined();
    expect(order.deliveries.map((d: any) => [d.hub, d.status, d.items])).toEqual([
      ['A', 'pending', [{ sku: 'X', quantity: 2 }]],
      ['B', 'pending', [{ sku: 'Y', quantity: 3 }]],
    ]);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 10, reserved: 2 });
    expect(await level(own, 'B', 'Y')).toMatchObject({ on_hand: 10, reserved: 3 });
    const listed = await expectStatus(own.as('GET', `/orders/${order.id}/deliveries`), 200);
    expect(listed.body.data).toEqual(order.deliveries);
    // Listed under each hub it ships from.
    for (const hub of ['A', 'B']) expect((await own.as('GET', `/orders?hub=${hub}`)).body.data.map((o: any) => o.id)).toEqual([order.id]);
    // The choice and its reason are in the order's history.
    const history = (await own.as('GET', `/orders/${order.id}/history`)).body.data;
    const reserved = history.find((h: any) => h.status === 'new_order');
    expect(reserved.allocation).toEqual(
      expect.arrayContaining([
        { sku: 'X', hub: 'A', quantity: 2, reason: 'priority' },
        { sku: 'Y', hub: 'B', quantity: 3, reason: 'priority' },
      ]),
    );
  });

  it('prefers one hub able to ship every line, even when it is not the first by priority', async () => {
    const own = await twoHubs({ za: 1, zb: 10, y: 10 });
    const order = await reservedOrder(own, [
      { sku: 'Z', quantity: 2 },
      { sku: 'Y', quantity: 1 },
    ]);
    expect(order.deliveries.map((d: any) => d.hub)).toEqual(['B']);
    const history = (await own.as('GET', `/orders/${order.id}/history`)).body.data;
    expect(history.find((h: any) => h.allocation).allocation.map((a: any) => a.reason)).toEqual(['single_hub', 'single_hub']);
  });

  it('splits a line by hub priority when no hub holds it all; single_hub_only holds the order instead', async () => {
    const split = await twoHubs({ za: 2, zb: 3 });
    const order = await reservedOrder(split, [{ sku: 'Z', quantity: 5 }]);
    expect(order.deliveries.map((d: any) => [d.hub, d.items[0].quantity])).toEqual([
      ['A', 2],
      ['B', 3],
    ]);
    const strict = await twoHubs({ za: 2, zb: 3 }, { allocation: 'single_hub_only' });
    const held = await reservedOrder(strict, [{ sku: 'Z', quantity: 5 }]);
    expect(held).toMatchObject({ status: 'on_hold', status_reason: 'insufficient_stock' });
    expect(await level(strict, 'A', 'Z')).toMatchObject({ reserved: 0 });
  });

  it('a line naming its hub ships from it; the order hub is the default of the others', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(
      own,
      [
        { sku: 'Z', quantity: 1 },
        { sku: 'Z', quantity: 2, hub: 'B' },
      ],
      { hub: 'A' },
    );
    expect(order.hub).toBe('A');
    expect(order.items.map((i: any) => i.hub)).toEqual([undefined, 'B']);
    expect(order.deliveries.map((d: any) => [d.hub, d.items])).toEqual([
      ['A', [{ sku: 'Z', quantity: 1 }]],
      ['B', [{ sku: 'Z', quantity: 2 }]],
    ]);
  });

  it('a held order is allocated anew when stock arrives at any hub', async () => {
    const own = await twoHubs({ za: 0, zb: 0 });
    const order = await reservedOrder(own, [{ sku: 'Z', quantity: 2 }]);
    expect(order.status).toBe('on_hold');
    await expectStatus(own.as('PUT', '/inventory', { body: [{ hub: 'B', sku: 'Z', on_hand: 5 }] }), 200);
    await finalizer.drain();
    const now = (await own.as('GET', `/orders/${order.id}`)).body;
    expect(now.status).toBe('new_order');
    expect(now.deliveries.map((d: any) => d.hub)).toEqual(['B']);
  });
});

describe('shipping, cancelling, delivering and returning', () => {
  it('shipping one delivery makes the order partially_shipped, and only that hub’s stock leaves', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(own, [
      { sku: 'X', quantity: 2 },
      { sku: 'Y', quantity: 3 },
    ]);
    const atA = byHub(order.deliveries, 'A');
    const shipped = await expectStatus(ship(own, order.id, atA.id, { tracking_number: 'TRK-1' }), 200);
    expect(shipped.body).toMatchObject({ id: atA.id, status: 'shipped', tracking_number: 'TRK-1' });
    expect(shipped.body.shipped_at).toBeTruthy();
    expect((await own.as('GET', `/orders/${order.id}`)).body.status).toBe('partially_shipped');
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 8, reserved: 0 });
    expect(await level(own, 'B', 'Y')).toMatchObject({ on_hand: 10, reserved: 3 });
    const commits = (await ledger(own, order.id)).filter((r) => r.reason === 'commit');
    expect(commits).toEqual([expect.objectContaining({ hub: 'A', sku: 'X', delta_on_hand: -2, delta_reserved: -2, operation_id: atA.id })]);
    // Shipping it again changes nothing.
    expect((await expectStatus(ship(own, order.id, atA.id), 200)).body.status).toBe('shipped');
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 8, reserved: 0 });
    const events = await t.ctx.db.query<{ type: string }>(`SELECT type FROM oms.events WHERE key = $1 AND type = 'delivery.shipped'`, [order.id]);
    expect(events).toHaveLength(1);
    await finalizer.drain(); // the finalizer group settles again from the event: a no-op
    expect((await ledger(own, order.id)).filter((r) => r.reason === 'commit')).toHaveLength(1);
    await reconciled(own);
  });

  it('a partial ship of 1 of 3 units, then cancelling the rest, releases exactly 2', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(own, [{ sku: 'X', quantity: 3 }]);
    const pending = byHub(order.deliveries, 'A');
    const part = await expectStatus(ship(own, order.id, pending.id, { items: [{ sku: 'X', quantity: 1 }] }), 200);
    expect(part.body).toMatchObject({ status: 'shipped', split_from: pending.id, items: [{ sku: 'X', quantity: 1 }] });
    let now = (await own.as('GET', `/orders/${order.id}`)).body;
    expect(now.status).toBe('partially_shipped');
    expect(byHub(now.deliveries, 'A').items).toEqual([{ sku: 'X', quantity: 2 }]);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 9, reserved: 2 });

    now = (await expectStatus(own.as('POST', `/orders/${order.id}/cancel`, { body: { reason: 'customer asked' } }), 200)).body;
    expect(now.status).toBe('shipped');
    expect(now.deliveries.map((d: any) => [d.status, d.items[0].quantity])).toEqual([
      ['cancelled', 2],
      ['shipped', 1],
    ]);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 9, reserved: 0, available: 9 });
    const releases = (await ledger(own, order.id)).filter((r) => r.reason === 'release');
    expect(releases).toEqual([expect.objectContaining({ delta_reserved: -2, delta_on_hand: 0, operation_id: pending.id })]);
    await expectStatus(own.as('POST', `/orders/${order.id}/cancel`), 409); // nothing left to cancel
    await reconciled(own);
  });

  it('cancelling a reserved order with nothing shipped cancels it and gives every unit back', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(own, [
      { sku: 'X', quantity: 1 },
      { sku: 'Y', quantity: 1 },
    ]);
    const now = (await expectStatus(own.as('POST', `/orders/${order.id}/cancel`), 200)).body;
    expect(now.status).toBe('cancelled');
    expect(await level(own, 'A', 'X')).toMatchObject({ reserved: 0 });
    expect(await level(own, 'B', 'Y')).toMatchObject({ reserved: 0 });
    expect((await own.as('GET', `/reservations/${order.id}`)).body.status).toBe('released');
  });

  it('delivers everything, takes one unit back to stock and one as damaged, refuses an over-return; reconcile stays clean', async () => {
    const own = await twoHubs();
    const order = await reservedOrder(own, [
      { sku: 'X', quantity: 2 },
      { sku: 'Y', quantity: 1 },
    ]);
    await expectStatus(own.as('PUT', `/orders/${order.id}/status`, { body: { status: 'shipped' } }), 200);
    const delivered = (await expectStatus(own.as('PUT', `/orders/${order.id}/status`, { body: { status: 'delivered' } }), 200)).body;
    expect(delivered.status).toBe('delivered');
    expect(delivered.deliveries.every((d: any) => d.status === 'delivered' && d.delivered_at)).toBe(true);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 8, reserved: 0 });

    const back = await expectStatus(
      own.as('POST', `/orders/${order.id}/returns`, {
        body: {
          reason: 'wrong size',
          items: [
            { sku: 'X', quantity: 1, disposition: 'restock' },
            { sku: 'X', quantity: 1, disposition: 'damaged' },
          ],
        },
      }),
      201,
    );
    expect(back.body.items).toEqual([
      { sku: 'X', hub: 'A', quantity: 1, disposition: 'restock' },
      { sku: 'X', hub: 'A', quantity: 1, disposition: 'damaged' },
    ]);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 9, reserved: 0 }); // the damaged unit is not sellable
    const returns = (await ledger(own, order.id)).filter((r) => r.reason === 'return');
    expect(returns).toEqual([expect.objectContaining({ hub: 'A', sku: 'X', delta_on_hand: 1, delta_reserved: 0, operation_id: back.body.id })]);
    expect((await own.as('GET', `/orders/${order.id}`)).body.status).toBe('partially_returned');

    const over = await expectStatus(
      own.as('POST', `/orders/${order.id}/returns`, { body: { items: [{ sku: 'X', quantity: 1, disposition: 'restock' }] } }),
      409,
    );
    expect(over.body.code).toBe('return.exceeds_delivered');
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 9 });
    expect((await own.as('GET', `/orders/${order.id}/returns`)).body.data).toHaveLength(1);

    await expectStatus(own.as('POST', `/orders/${order.id}/returns`, { body: { items: [{ sku: 'Y', quantity: 1, disposition: 'restock' }] } }), 201);
    expect((await own.as('GET', `/orders/${order.id}`)).body.status).toBe('returned');
    // Each change wrote its event in its own transaction; webhooks may subscribe to every one.
    const types = await t.ctx.db.query<{ type: string }>('SELECT type FROM oms.events WHERE key = $1 ORDER BY seq', [order.id]);
    expect(types.map((e) => e.type).filter((type) => !type.startsWith('order.'))).toEqual([
      'delivery.shipped',
      'delivery.shipped',
      'delivery.delivered',
      'delivery.delivered',
      'return.received',
      'return.received',
    ]);
    const events = ['delivery.shipped', 'delivery.delivered', 'delivery.cancelled', 'return.received'];
    await expectStatus(own.as('POST', '/webhooks', { body: { url: 'https://hooks.example.com/oms', events } }), 201);
    expect(await level(own, 'B', 'Y')).toMatchObject({ on_hand: 10 });
    await reconciled(own);
  });

  it('a CSV order whose rows name two hubs is one valid order with two deliveries', async () => {
    const own = await twoHubs();
    const body = multipartBody({ content: 'order_id,sku,hub_id,quantity,customer_email\nS1,X,A,1,s@x.io\nS1,Y,B,2,s@x.io\nS2,Z,,1,s@x.io\n' });
    const accepted = await expectStatus(own.as('POST', '/orders/upload', { payload: body.payload, headers: body.headers }), 202);
    await ingest.drain();
    expect((await own.as('GET', `/uploads/${accepted.body.upload_id}`)).body).toMatchObject({ status: 'completed', rows_valid: 3, orders_created: 2 });
    await finalizer.drain();
    const s1 = (await own.as('GET', '/orders?reference=S1')).body.data[0];
    const full = (await own.as('GET', `/orders/${s1.id}`)).body;
    expect(full.status).toBe('new_order');
    expect(full.deliveries.map((d: any) => [d.hub, d.items])).toEqual([
      ['A', [{ sku: 'X', quantity: 1 }]],
      ['B', [{ sku: 'Y', quantity: 2 }]],
    ]);
    const s2 = (await own.as('GET', '/orders?reference=S2')).body.data[0];
    expect((await own.as('GET', `/orders/${s2.id}/deliveries`)).body.data.map((d: any) => d.hub)).toEqual(['A']);
  });
});

describe('bad input', () => {
  it('an order holds at most 100 deliveries: one partial shipment too many is refused, a whole one still ships', async () => {
    const own = await twoHubs({ x: 200 });
    const order = await reservedOrder(own, [{ sku: 'X', quantity: 150 }]);
    const pending = order.deliveries[0].id;
    for (let i = 0; i < 99; i++) await expectStatus(ship(own, order.id, pending, { items: [{ sku: 'X', quantity: 1 }] }), 200);
    const refused = await expectStatus(ship(own, order.id, pending, { items: [{ sku: 'X', quantity: 1 }] }), 409);
    expect(refused.body.code).toBe('order.too_many');
    await expectStatus(ship(own, order.id, pending), 200);
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 50, reserved: 0 });
  });

  it('a delivery of another order or tenant is 404; unknown SKUs, quantities of 0 or less and items beyond the delivery are refused', async () => {
    const own = await twoHubs();
    const first = await reservedOrder(own, [{ sku: 'X', quantity: 2 }]);
    const second = await reservedOrder(own, [{ sku: 'Y', quantity: 1 }]);
    const mine = first.deliveries[0].id;
    await expectStatus(ship(own, second.id, mine), 404);
    await expectStatus(deliver(own, second.id, mine), 404);
    await expectStatus(ship(own, first.id, 'not-a-uuid'), 404);
    const other = await twoHubs();
    await expectStatus(ship(other, first.id, mine), 404);
    await expectStatus(other.as('GET', `/orders/${first.id}/deliveries`), 404);

    const zero = await expectStatus(ship(own, first.id, mine, { items: [{ sku: 'X', quantity: 0 }] }), 422);
    expect(zero.body.errors).toEqual([expect.objectContaining({ field: 'items[0].quantity' })]);
    await expectStatus(ship(own, first.id, mine, { items: [{ sku: 'X', quantity: -1 }] }), 422);
    const beyond = await expectStatus(ship(own, first.id, mine, { items: [{ sku: 'X', quantity: 3 }] }), 422);
    expect(beyond.body.errors).toEqual([expect.objectContaining({ field: 'items[0].quantity' })]);
    const stranger = await expectStatus(ship(own, first.id, mine, { items: [{ sku: 'Y', quantity: 1 }] }), 422);
    expect(stranger.body.errors).toEqual([expect.objectContaining({ field: 'items[0].sku' })]);
    await expectStatus(deliver(own, first.id, mine), 409); // not shipped yet
    expect(await level(own, 'A', 'X')).toMatchObject({ on_hand: 10, reserved: 2 }); // nothing moved

    await expectStatus(own.as('PUT', `/orders/${first.id}/status`, { body: { status: 'shipped' } }), 200);
    await expectStatus(deliver(own, first.id, mine), 200);
    const unknown = await expectStatus(
      own.as('POST', `/orders/${first.id}/returns`, { body: { items: [{ sku: 'NOPE', quantity: 1, disposition: 'restock' }] } }),
      422,
    );
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'items[0].sku' })]);
    await expectStatus(own.as('POST', `/orders/${first.id}/returns`, { body: { items: [{ sku: 'X', quantity: 0, disposition: 'restock' }] } }), 422);
    await expectStatus(own.as('POST', `/orders/${first.id}/returns`, { body: { items: [{ sku: 'X', quantity: 1, disposition: 'lost' }] } }), 422);
    expect((await own.as('GET', `/orders/${first.id}/returns`)).body.data).toEqual([]);
    await expectStatus(own.as('POST', `/orders/${second.id}/returns`, { body: { items: [{ sku: 'Y', quantity: 1, disposition: 'restock' }] } }), 422); // not delivered
  });
});
