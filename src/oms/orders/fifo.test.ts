/**
 * Waiting orders are served strictly oldest first, even when stock rises while the finalizer
 * is still on its way through newer orders. Reproduces what a fault probe found: 150 one-unit
 * orders on a stock of 100, a restock of 20 while the last batches were in flight, and orders
 * 114–132 served while 101–113 (older, already waiting) were passed by.
 *
 * The finalizer's handler is driven batch by batch, as its event log would, with no stock
 * signal handled in between: the case where the signal's retry loses the race to the batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import type { LoggedEvent } from '../../events/envelope';
import type { RunningRole } from '../../shared/running-role';
import { startFinalizer } from './finalizer-role';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

/** The tenant's order.created events, oldest first, as the event log hands them to the finalizer. */
async function createdEvents(tenantId: string): Promise<LoggedEvent[]> {
  return t.ctx.db.query<LoggedEvent>(
    `SELECT id, type, tenant_id, occurred_at, data, seq, tx_id::text AS tx_id, key FROM oms.events
     WHERE tenant_id = $1 AND type = 'order.created' ORDER BY seq`,
    [tenantId],
  );
}

async function placeOrders(own: TestTenant, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await expectStatus(
      own.as('POST', '/orders', { body: { customer: { name: 'C', email: 'c@x.io' }, hub: 'H', items: [{ sku: 'S', quantity: 1 }] } }),
      201,
    );
    ids.push(res.body.id);
  }
  return ids;
}

/** The positions (1-based, by age) of the orders that are reserved. */
async function reservedPositions(own: TestTenant, ids: string[]): Promise<number[]> {
  const rows = await t.ctx.db.query<{ id: string }>(`SELECT id FROM oms.orders WHERE tenant_id = $1 AND status = 'new_order'`, [own.id]);
  const reserved = new Set(rows.map((r) => r.id));
  return ids.flatMap((id, i) => (reserved.has(id) ? [i + 1] : []));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('waiting orders, oldest first', () => {
  it('stock that rises while newer orders are in flight goes to the orders already waiting first', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H'], skus: ['S'], stock: [['H', 'S', 100]] });
    const ids = await placeOrders(own, 150);
    const events = await createdEvents(own.id);
    expect(events).toHaveLength(150);

    // The finalizer reaches order 113: 100 reserved, 101–113 waiting.
    await t.ctx.oms.finalizer.handle(events.slice(0, 113));
    expect(await reservedPositions(own, ids)).toEqual(range(1, 100));

    // 20 units arrive and their notice is heard; before its retry of the waiting ones, the batch of orders 114–150 runs.
    await expectStatus(own.as('PUT', '/inventory', { body: { hub: 'H', sku: 'S', delta: 20 } }), 200);
    const [sku] = await t.ctx.db.query<{ id: string }>(`SELECT id FROM ims.skus WHERE tenant_id = $1 AND code = 'S'`, [own.id]);
    t.ctx.oms.finalizer.stockRaised(own.id, [sku!.id]);
    await t.ctx.oms.finalizer.handle(events.slice(113));
    expect(await reservedPositions(own, ids)).toEqual(range(1, 120));

    const waiting = await t.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 AND status = 'on_hold' AND status_reason = 'insufficient_stock'`,
      [own.id],
    );
    expect(waiting[0]!.n).toBe(30);
  });

  it('a unit given back by a cancellation goes to the oldest waiting order', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H'], skus: ['S'], stock: [['H', 'S', 10]] });
    let role: RunningRole | undefined;
    try {
      role = await startFinalizer(t.ctx, { sweepMs: 3_600_000 });
      const ids = await placeOrders(own, 30);
      await role.drain();
      expect(await reservedPositions(own, ids)).toEqual(range(1, 10));

      await expectStatus(own.as('POST', `/orders/${ids[4]}/cancel`, { body: {} }), 200);
      await role.drain();
      await expect.poll(() => reservedPositions(own, ids)).toEqual([...range(1, 4), ...range(6, 11)]);
      await expectStatus(own.as('POST', `/orders/${ids[0]}/cancel`, { body: {} }), 200);
      await expect.poll(() => reservedPositions(own, ids)).toEqual([...range(2, 4), ...range(6, 12)]);
    } finally {
      await role?.stop();
    }
  });
});
