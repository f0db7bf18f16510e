/**
 * Split orders under concurrency: many finalized at once against tight stock at two hubs (never
 * oversold, each order all or nothing), and shipments racing cancellations of the same order
 * (each unit decided once: shipped or given back, never both, never neither).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, seedCatalog, type TestApp, type TestTenant, levelOf } from '../../../test/helpers/app';
import type { LoggedEvent } from '../../events/envelope';
import { forEachConcurrently } from '../../shared/concurrently';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({}, { poolSize: 8 });
});
afterAll(async () => {
  await t.close();
});

async function twoHubs(x: number, y: number): Promise<TestTenant> {
  const own = await t.tenant();
  await seedCatalog(own, {
    hubs: ['A', 'B'],
    skus: ['X', 'Y'],
    stock: [
      ['A', 'X', x],
      ['B', 'Y', y],
    ],
  });
  return own;
}

const customer = { name: 'C', email: 'c@x.io' };
const level = levelOf;

/** The order.created events of these orders, as the finalizer receives them. */
async function createdEvents(ids: readonly string[]): Promise<LoggedEvent[]> {
  const rows = await t.ctx.db.query<LoggedEvent>(
    `SELECT seq, tx_id::text, id, type, tenant_id, key, occurred_at, data FROM oms.events WHERE type = 'order.created' AND key = ANY($1::text[]) ORDER BY seq`,
    [ids],
  );
  return rows;
}

describe('split orders under concurrency', () => {
  it('200 split orders finalized by four finalizers at once against tight stock at two hubs: never oversold, each all or nothing', async () => {
    const own = await twoHubs(150, 160);
    const wanted = new Map<string, { x: number; y: number }>();
    await forEachConcurrently(
      Array.from({ length: 200 }, (_, i) => i),
      16,
      async (i) => {
        const x = 1 + (i % 2);
        const y = 1 + (i % 3 === 0 ? 1 : 0);
        // Half name their hubs line by line, half leave them to allocation.
        const items =
          i % 2 === 0
            ? [
                { sku: 'X', quantity: x, hub: 'A' },
                { sku: 'Y', quantity: y, hub: 'B' },
              ]
            : [
                { sku: 'X', quantity: x },
                { sku: 'Y', quantity: y },
              ];
        const created = await expectStatus(own.as('POST', '/orders', { body: { customer, items } }), 201);
        wanted.set(created.body.id, { x, y });
      },
    );
    const events = await createdEvents([...wanted.keys()]);
    // Four finalizers, each with a quarter of the log (as four Kafka partitions would be), at once.
    await Promise.all([0, 1, 2, 3].map((k) => t.ctx.oms.finalizer.handle(events.filter((_, i) => i % 4 === k))));

    const orders = await t.ctx.db.query<{ id: string; status: string }>('SELECT id, status FROM oms.orders WHERE tenant_id = $1', [own.id]);
    const served = orders.filter((o) => o.status === 'new_order');
    expect(served.length).toBeGreaterThan(50);
    expect(orders.filter((o) => o.status === 'on_hold').length).toBeGreaterThan(0); // the stock ran out
    const sum = (pick: (w: { x: number; y: number }) => number) => served.reduce((n, o) => n + pick(wanted.get(o.id)!), 0);
    const x = await level(own, 'A', 'X');
    const y = await level(own, 'B', 'Y');
    expect(x.reserved).toBe(sum((w) => w.x));
    expect(y.reserved).toBe(sum((w) => w.y));
    expect(x.reserved).toBeLessThanOrEqual(150);
    expect(y.reserved).toBeLessThanOrEqual(160);
    // All or nothing: a served order holds both lines, in two deliveries; a waiting one holds nothing.
    const deliveries = await t.ctx.db.query<{ order_id: string; n: number }>(
      'SELECT order_id, count(*)::int8 AS n FROM oms.order_deliveries WHERE tenant_id = $1 GROUP BY order_id',
      [own.id],
    );
    expect(deliveries.length).toBe(served.length);
    expect(deliveries.every((d) => d.n === 2)).toBe(true);
    const waiting = orders.filter((o) => o.status === 'on_hold').map((o) => o.id);
    const stray = await t.ctx.db.query('SELECT 1 FROM ims.reservation_lines WHERE tenant_id = $1 AND order_id = ANY($2::text[])', [own.id, waiting]);
    expect(stray).toEqual([]);
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('shipping and cancelling the same order at once: each unit either ships or goes back, exactly once', async () => {
    const own = await twoHubs(1000, 1000);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const items = [
        { sku: 'X', quantity: 3, hub: 'A' },
        { sku: 'Y', quantity: 2, hub: 'B' },
      ];
      ids.push((await expectStatus(own.as('POST', '/orders', { body: { customer, items } }), 201)).body.id);
    }
    await t.ctx.oms.finalizer.handle(await createdEvents(ids));
    await forEachConcurrently(ids, 5, async (id) => {
      const deliveries = (await own.as('GET', `/orders/${id}/deliveries`)).body.data as { id: string; hub: string }[];
      const atA = deliveries.find((d) => d.hub === 'A')!;
      const atB = deliveries.find((d) => d.hub === 'B')!;
      const answers = await Promise.all([
        own.as('POST', `/orders/${id}/deliveries/${atA.id}/ship`, { body: { items: [{ sku: 'X', quantity: 1 }] } }),
        own.as('POST', `/orders/${id}/deliveries/${atB.id}/ship`),
        own.as('POST', `/orders/${id}/cancel`),
        own.as('POST', `/orders/${id}/deliveries/${atA.id}/ship`),
      ]);
      for (const answer of answers) expect([200, 409]).toContain(answer.status);
    });
    // Every settling event once more, as a restarted consumer would: nothing changes twice.
    const settling = await t.ctx.db.query<LoggedEvent>(
      `SELECT seq, tx_id::text, id, type, tenant_id, key, occurred_at, data FROM oms.events WHERE tenant_id = $1 AND type IN ('delivery.shipped', 'delivery.cancelled') ORDER BY seq`,
      [own.id],
    );
    await t.ctx.oms.settler.handle(settling);

    for (const id of ids) {
      const deliveries = (await own.as('GET', `/orders/${id}/deliveries`)).body.data as { status: string; hub: string; items: { quantity: number }[] }[];
      expect(deliveries.every((d) => d.status === 'shipped' || d.status === 'cancelled')).toBe(true);
      const units = (hub: string, status: string) =>
        deliveries.filter((d) => d.hub === hub && d.status === status).reduce((n, d) => n + d.items.reduce((m, l) => m + l.quantity, 0), 0);
      expect(units('A', 'shipped') + units('A', 'cancelled')).toBe(3);
      expect(units('B', 'shipped') + units('B', 'cancelled')).toBe(2);
      const ledger = (await own.as('GET', `/inventory/transactions?order_id=${id}&limit=100`)).body.data as {
        hub: string;
        reason: string;
        delta_reserved: number;
      }[];
      const moved = (hub: string, reason: string) => ledger.filter((r) => r.hub === hub && r.reason === reason).reduce((n, r) => n - r.delta_reserved, 0);
      expect([moved('A', 'commit'), moved('A', 'release')]).toEqual([units('A', 'shipped'), units('A', 'cancelled')]);
      expect([moved('B', 'commit'), moved('B', 'release')]).toEqual([units('B', 'shipped'), units('B', 'cancelled')]);
    }
    expect(await level(own, 'A', 'X')).toMatchObject({ reserved: 0 });
    expect(await level(own, 'B', 'Y')).toMatchObject({ reserved: 0 });
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });
});
