/**
 * The inventory's own events: every stock change (a count, a reservation, a release, a shipment,
 * a return) appends one inventory.level_changed per stock row it moved, in the transaction that
 * moved it, with the row's figures before and after and the ledger rows behind it; a reservation
 * given back whole also appends reservation.released. Both are subscribable by webhook endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, stockedTenant, type TestApp, type TestTenant } from './helpers/app';
import type { InventoryLevelChanged } from '../src/contracts/events';
import { createDispatches } from '../src/oms/webhooks/dispatches';
import type { LoggedEvent } from '../src/events/envelope';

let t: TestApp;
let own: TestTenant;

beforeAll(async () => {
  t = await buildTestApp();
  own = await stockedTenant(t);
});
afterAll(() => t.close());

/** The tenant's events after `seq`, oldest first. */
async function eventsSince(seq: number) {
  return t.ctx.db.query<{ seq: number; type: string; key: string; data: any }>(
    `SELECT seq::int8 AS seq, type, key, data FROM oms.events WHERE tenant_id = $1 AND seq > $2 ORDER BY tx_id, seq`,
    [own.id, seq],
  );
}
const lastSeq = async () => (await t.ctx.db.query<{ n: number }>('SELECT coalesce(max(seq), 0)::int8 AS n FROM oms.events'))[0]!.n;
const figures = (on_hand: number, reserved: number, held = 0) => ({ on_hand, reserved, held, available: on_hand - reserved - held });
const level = (e: { data: InventoryLevelChanged }) => [e.data.hub, e.data.sku, e.data.reason, e.data.before, e.data.after];

describe('inventory.level_changed and reservation.released', () => {
  it('a count: one event per row whose level moved, keyed hub:sku; a count that changes nothing writes none', async () => {
    const from = await lastSeq();
    await expectStatus(
      own.as('PUT', '/inventory', {
        body: [
          { hub: 'H1', sku: 'A', on_hand: 10 },
          { hub: 'H2', sku: 'B', on_hand: 4 },
        ],
      }),
      200,
    );
    const events = await eventsSince(from);
    expect(events.map((e) => e.type)).toEqual(['inventory.level_changed', 'inventory.level_changed']);
    expect(events.map(level)).toEqual([
      ['H1', 'A', 'count', figures(0, 0), figures(10, 0)],
      ['H2', 'B', 'count', figures(0, 0), figures(4, 0)],
    ]);
    expect(events[0]!.key).toBe(`${events[0]!.data.hub_id}:${events[0]!.data.sku_id}`);

    const again = await lastSeq();
    await expectStatus(own.as('PUT', '/inventory', { body: [{ hub: 'H1', sku: 'A', on_hand: 10 }] }), 200);
    expect(await eventsSince(again)).toEqual([]);
  });

  it('a reservation, a partial shipment and a release: each moves the level once, named by its reason and order', async () => {
    const from = await lastSeq();
    await expectStatus(own.as('POST', '/reservations', { body: { order_id: 'lvl-1', hub: 'H1', items: [{ sku: 'A', quantity: 3 }] } }), 200);
    await expectStatus(
      own.as('POST', '/reservations/lvl-1/settlements', { body: { operation_id: 'ship-1', action: 'commit', items: [{ hub: 'H1', sku: 'A', quantity: 1 }] } }),
      200,
    );
    await expectStatus(own.as('DELETE', '/reservations/lvl-1'), 204);
    const events = await eventsSince(from);
    expect(events.map((e) => e.type)).toEqual(['inventory.level_changed', 'inventory.level_changed', 'inventory.level_changed', 'reservation.released']);
    expect(events.slice(0, 3).map(level)).toEqual([
      ['H1', 'A', 'reserve', figures(10, 0), figures(10, 3)],
      ['H1', 'A', 'commit', figures(10, 3), figures(9, 2)],
      ['H1', 'A', 'release', figures(9, 2), figures(9, 0)],
    ]);
    expect(events[1]!.data.changes).toEqual([
      { reason: 'commit', order_id: 'lvl-1', operation_id: 'ship-1', hold_id: null, on_hand: -1, reserved: -1, held: 0 },
    ]);
    expect(events[3]).toMatchObject({ key: 'lvl-1', data: { order_id: 'lvl-1', reservation: { order_id: 'lvl-1', status: 'released' } } });
    expect(events[3]!.data.reservation.items).toEqual([expect.objectContaining({ sku: 'A', hub: 'H1', quantity: 3, committed: 1, released: 2 })]);
  });

  it('a batch of reservations on one row: one event for the row, every order behind it', async () => {
    const from = await lastSeq();
    const res = await expectStatus(
      own.as('POST', '/reservations/batch', {
        body: { reservations: [1, 2, 3].map((n) => ({ order_id: `lvl-b${n}`, hub: 'H2', items: [{ sku: 'B', quantity: 1 }] })) },
      }),
      200,
    );
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['reserved', 'reserved', 'reserved']);
    const events = await eventsSince(from);
    expect(events.map(level)).toEqual([['H2', 'B', 'reserve', figures(4, 0), figures(4, 3)]]);
    expect(events[0]!.data.changes.map((c: { order_id: string }) => c.order_id)).toEqual(['lvl-b1', 'lvl-b2', 'lvl-b3']);
  });

  it('a return puts units back on hand: one event with reason return', async () => {
    await expectStatus(own.as('POST', '/reservations', { body: { order_id: 'lvl-r', hub: 'H2', items: [{ sku: 'B', quantity: 1 }] } }), 200);
    await expectStatus(own.as('POST', '/reservations/lvl-r/commit'), 200);
    const from = await lastSeq();
    await expectStatus(
      own.as('POST', '/reservations/lvl-r/settlements', { body: { operation_id: 'ret-1', action: 'restock', items: [{ hub: 'H2', sku: 'B', quantity: 1 }] } }),
      200,
    );
    const events = await eventsSince(from);
    expect(events.map(level)).toEqual([['H2', 'B', 'return', figures(3, 3), figures(4, 3)]]);
  });

  it('a webhook endpoint subscribes to them like to any other event, and gets each once', async () => {
    await expectStatus(
      own.as('POST', '/webhooks', { body: { url: 'https://hooks.example.com/stock', events: ['inventory.level_changed', 'reservation.released'] } }),
      201,
    );
    const from = await lastSeq();
    await expectStatus(own.as('POST', '/reservations', { body: { order_id: 'lvl-w', hub: 'H1', items: [{ sku: 'A', quantity: 1 }] } }), 200);
    await expectStatus(own.as('DELETE', '/reservations/lvl-w'), 204);
    const logged = await t.ctx.db.query<LoggedEvent>(
      `SELECT id, type, tenant_id, occurred_at, data, key, seq::int8 AS seq, tx_id::text AS tx_id FROM oms.events WHERE tenant_id = $1 AND seq > $2 ORDER BY tx_id, seq`,
      [own.id, from],
    );
    await createDispatches(t.ctx.db, logged);
    await createDispatches(t.ctx.db, logged); // a redelivered batch queues nothing twice
    const queued = await t.ctx.db.query<{ event_type: string }>(
      `SELECT event_type FROM oms.webhook_dispatches WHERE tenant_id = $1 AND event_id = ANY($2::uuid[]) ORDER BY created_at, event_type`,
      [own.id, logged.map((e) => e.id)],
    );
    expect(queued.map((q) => q.event_type).sort()).toEqual(['inventory.level_changed', 'inventory.level_changed', 'reservation.released']);
  });
});
