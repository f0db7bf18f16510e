import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { eventually } from '../../../test/helpers/eventually';
import type { RunningRole } from '../../shared/running-role';
import { startFinalizer } from './finalizer-role';

let t: TestApp;
let finalizer: RunningRole;
beforeAll(async () => {
  t = await buildTestApp();
  finalizer = await startFinalizer(t.ctx, { sweepMs: 3_600_000 });
});
afterAll(async () => {
  await finalizer.stop();
  await t.close();
});

async function shop(stock: number, settings?: Record<string, string>): Promise<TestTenant> {
  const own = await t.tenant();
  if (settings) await t.request('PATCH', `/tenants/${own.id}`, { body: { settings } });
  await seedCatalog(own, {
    hubs: ['H'],
    skus: ['A', 'B'],
    stock: [
      ['H', 'A', stock],
      ['H', 'B', 1000],
    ],
  });
  return own;
}

const place = (own: TestTenant, quantity: number, extra: Record<string, unknown> = {}) =>
  own.as('POST', '/orders', {
    body: {
      customer: { name: 'C', email: 'c@x.io' },
      hub: 'H',
      items: [
        { sku: 'A', quantity },
        { sku: 'B', quantity: 1 },
      ],
      ...extra,
    },
  });

const statusOf = async (own: TestTenant, id: string) => (await own.as('GET', `/orders/${id}`)).body.status as string;
const level = async (own: TestTenant, sku = 'A') => (await own.as('GET', `/inventory?hub=H&skus=${sku}`)).body.data[0];

describe('finalizer', () => {
  it('reserves a created order and moves it to new_order with order.updated', async () => {
    const own = await shop(10);
    const order = (await place(own, 3)).body;
    await finalizer.drain();
    expect(await statusOf(own, order.id)).toBe('new_order');
    expect(await level(own)).toMatchObject({ reserved: 3, available: 7 });
    const updates = await t.ctx.db.query<{ data: any }>(`SELECT data FROM oms.events WHERE key = $1 AND type = 'order.updated'`, [order.id]);
    expect(updates.map((e) => [e.data.previous_status, e.data.order.status])).toEqual([['on_hold', 'new_order']]);
  });

  it('holds an order without stock, says why (line by line, in the order and its history), and reserves it when stock arrives', async () => {
    const own = await shop(1);
    const order = (await place(own, 3)).body;
    await finalizer.drain();
    const waiting = (await own.as('GET', `/orders/${order.id}`)).body;
    expect(waiting).toMatchObject({ status: 'on_hold', status_reason: 'insufficient_stock', shortages: [{ sku: 'A', hub: 'H', requested: 3, available: 1 }] });
    const history = (await own.as('GET', `/orders/${order.id}/history`)).body.data;
    expect(history.map((h: any) => [h.type, h.previous_status, h.status, h.status_reason])).toEqual([
      ['order.created', null, 'on_hold', null],
      ['order.updated', 'on_hold', 'on_hold', 'insufficient_stock'],
    ]);
    expect(history[1].shortages).toEqual([{ sku: 'A', hub: 'H', requested: 3, available: 1 }]);

    // Stock rises but not enough: the figures follow, without another event.
    await own.as('PUT', '/inventory', { body: { hub: 'H', sku: 'A', delta: 1 } });
    await eventually(async () =>
      expect((await own.as('GET', `/orders/${order.id}`)).body.shortages).toEqual([{ sku: 'A', hub: 'H', requested: 3, available: 2 }]),
    );
    expect((await own.as('GET', `/orders/${order.id}/history`)).body.data).toHaveLength(2);

    await own.as('PUT', '/inventory', { body: { hub: 'H', sku: 'A', delta: 1 } });
    await eventually(async () => expect(await statusOf(own, order.id)).toBe('new_order'));
    const reserved = (await own.as('GET', `/orders/${order.id}`)).body;
    expect(reserved.status_reason).toBeUndefined();
    expect(reserved.shortages).toBeUndefined();
  });

  it('cancels an order without stock when the tenant says so', async () => {
    const own = await shop(1, { backorder_policy: 'cancel' });
    const order = (await place(own, 2)).body;
    await finalizer.drain();
    const stored = (await own.as('GET', `/orders/${order.id}`)).body;
    expect(stored).toMatchObject({ status: 'cancelled', status_reason: 'insufficient_stock' });
    expect(await level(own, 'B')).toMatchObject({ reserved: 0 });
  });

  it('300 parallel orders for 100 units: exactly 100 reserved; +50 stock reserves exactly the 50 oldest held', async () => {
    const own = await shop(100);
    const placed = await Promise.all(Array.from({ length: 300 }, () => place(own, 1)));
    expect(
      placed
        .filter((r) => r.status !== 201)
        .map((r) => r.text)
        .slice(0, 2),
    ).toEqual([]);
    await finalizer.drain();
    const count = async (status: string) => (await own.as('GET', `/orders?status=${status}&limit=500`)).body.data.length as number;
    expect(await count('new_order')).toBe(100);
    expect(await count('on_hold')).toBe(200);
    const heldBefore = (await own.as('GET', '/orders?status=on_hold&limit=500')).body.data.map((o: { id: string }) => o.id).reverse();

    await own.as('PUT', '/inventory', { body: { hub: 'H', sku: 'A', delta: 50 } });
    await eventually(async () => expect(await count('new_order')).toBe(150));
    await finalizer.drain();
    const stillHeld = new Set((await own.as('GET', '/orders?status=on_hold&limit=500')).body.data.map((o: { id: string }) => o.id));
    expect(stillHeld.size).toBe(150);
    // the oldest 50 held orders were the ones reserved
    expect(heldBefore.slice(0, 50).some((id: string) => stillHeld.has(id))).toBe(false);
    expect(heldBefore.slice(50).every((id: string) => stillHeld.has(id))).toBe(true);
    expect(await level(own)).toMatchObject({ on_hand: 150, reserved: 150, available: 0 });
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('a redelivered event changes nothing; a crash between reserving and moving the order heals', async () => {
    const own = await shop(10);
    const order = (await place(own, 2)).body;
    // the crash: IMS reserved, the order never moved (the finalizer died in between)
    await own.as('POST', '/reservations', {
      body: {
        order_id: order.id,
        hub: 'H',
        items: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
      },
    });
    await finalizer.drain();
    expect(await statusOf(own, order.id)).toBe('new_order');
    // redeliver every event of this order to the handler
    const events = await t.ctx.db.query<any>(`SELECT seq, tx_id::text, id, type, tenant_id, key, occurred_at, data FROM oms.events WHERE key = $1`, [order.id]);
    await t.ctx.oms.finalizer.handle(events);
    await t.ctx.oms.finalizer.handle(events);
    expect(await statusOf(own, order.id)).toBe('new_order');
    expect(await level(own)).toMatchObject({ reserved: 2 });
    const reserves = (await own.as('GET', `/inventory/transactions?order_id=${order.id}`)).body.data.filter((x: { reason: string }) => x.reason === 'reserve');
    expect(reserves).toHaveLength(2); // one per line, once
  });

  it('an order waiting for a SKU deleted since is cancelled as unknown_item when retried', async () => {
    const own = await shop(10);
    await seedCatalog(own, { skus: ['GONE'] });
    const order = (await own.as('POST', '/orders', { body: { customer: { name: 'C', email: 'c@x.io' }, hub: 'H', items: [{ sku: 'GONE', quantity: 1 }] } }))
      .body;
    await finalizer.drain();
    expect((await own.as('GET', `/orders/${order.id}`)).body).toMatchObject({ status: 'on_hold', status_reason: 'insufficient_stock' });
    await expectStatus(own.as('DELETE', '/skus/GONE'), 204);
    await t.ctx.oms.finalizer.sweep(); // what the periodic sweep does
    expect((await own.as('GET', `/orders/${order.id}`)).body).toMatchObject({ status: 'cancelled', status_reason: 'unknown_item' });
  });

  it('an order cancelled before finalizing keeps no reservation', async () => {
    const own = await shop(10);
    const order = (await place(own, 2)).body;
    const cancelled = await own.as('POST', `/orders/${order.id}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    await finalizer.drain();
    expect(await statusOf(own, order.id)).toBe('cancelled');
    expect(await level(own)).toMatchObject({ reserved: 0 });
  });
});
