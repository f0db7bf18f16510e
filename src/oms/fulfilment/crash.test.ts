/**
 * Crash safety of a shipment: a process killed with SIGKILL right after the shipment and its
 * event committed (before IMS was told), or right after IMS settled it (before the finalizer
 * consumer saw the event). After a restart of the consumer the shipment happened exactly once:
 * one shipped delivery, one delivery.shipped event, its units committed once, ledger == levels.
 * On PGlite the child opens the same data directory on disk (one process at a time).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedDatabase, type SharedDatabase } from '../../../test/helpers/shared-db';
import { loadConfig } from '../../config/index';
import { createContext, type AppContext } from '../../context';
import type { Db } from '../../db/handle';
import { startFinalizer } from '../orders/finalizer-role';
import { createDispatches, WEBHOOKS_GROUP } from '../webhooks/dispatches';
import type { InventoryLevelChanged } from '../../contracts/events';

const run = promisify(execFile);
let shared: SharedDatabase;
let tenantId: string;

const contextOn = (db: Db): AppContext => createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const withDb = <T>(work: (ctx: AppContext) => Promise<T>) => shared.with((db) => work(contextOn(db)));

/**
 * Runs the finalizer role (whose consumer group also settles stock) and the webhooks group's
 * handler (it queues one webhook delivery per subscribed event; nothing is sent: the endpoint's
 * host is never called here) until the log is handled.
 */
async function drainConsumers(ctx: AppContext) {
  // A killed process may still hold a lease on the event log: let it run out.
  await ctx.db.query("UPDATE oms.consumer_offsets SET lease_until = now() - interval '1 second'");
  const role = await startFinalizer(ctx, { sweepMs: 3_600_000 });
  const webhooks = ctx.events.subscribe(WEBHOOKS_GROUP, async (events) => void (await createDispatches(ctx.db, events)));
  await role.drain();
  await webhooks.drain();
  await role.stop();
  await webhooks.stop();
}

beforeAll(async () => {
  shared = await createSharedDatabase();
  tenantId = await withDb(async (ctx) => {
    const tenant = await ctx.ims.tenants.create({ code: 'ship-crash', name: 'Ship crash' });
    for (const code of ['A', 'B']) await ctx.ims.catalog.create(tenant.id, 'hub', { code, name: code });
    for (const code of ['X', 'Y']) await ctx.ims.catalog.create(tenant.id, 'sku', { code, name: code });
    await ctx.ims.stock.put(
      tenant.id,
      [
        { hub: 'A', sku: 'X', on_hand: 100 },
        { hub: 'B', sku: 'Y', on_hand: 100 },
      ],
      true,
    );
    await ctx.oms.endpoints.create(tenant.id, { url: 'https://hooks.example.com/oms', events: ['delivery.shipped', 'inventory.level_changed'] });
    return tenant.id;
  });
});

afterAll(async () => {
  await shared.drop();
});

it.each(['after-commit', 'after-settle'])('killed %s: after a restart the shipment happened once and its event was handled', async (point) => {
  const { orderId, deliveryId } = await withDb(async (ctx) => {
    const order = await ctx.oms.orders.create(tenantId, {
      customer: { name: 'C', email: 'c@x.io' },
      items: [
        { sku: 'X', quantity: 2 },
        { sku: 'Y', quantity: 1 },
      ],
    });
    await drainConsumers(ctx);
    const deliveries = await ctx.oms.fulfilment.deliveries(tenantId, order.id);
    return { orderId: order.id, deliveryId: deliveries.find((d) => d.hub === 'A')!.id };
  });

  const crashed = await run(process.execPath, [
    '--import',
    'tsx',
    'test/helpers/crashing-shipper.ts',
    shared.target,
    tenantId,
    orderId,
    deliveryId,
    point,
  ]).catch((e) => e);
  expect(crashed.signal).toBe('SIGKILL');

  await withDb(async (ctx) => {
    await drainConsumers(ctx);
    const deliveries = await ctx.oms.fulfilment.deliveries(tenantId, orderId);
    expect(deliveries.map((d) => [d.hub, d.status, d.tracking_number])).toEqual([
      ['A', 'shipped', 'CRASH-1'],
      ['B', 'pending', null],
    ]);
    expect((await ctx.oms.orders.get(tenantId, orderId)).status).toBe('partially_shipped');
    const events = await ctx.db.query<{ type: string }>(`SELECT type FROM oms.events WHERE key = $1 AND type = 'delivery.shipped'`, [orderId]);
    expect(events).toHaveLength(1);
    // Its event reached the webhooks group exactly once: one delivery queued for the endpoint.
    const queued = await ctx.db.query<{ event_type: string }>(
      `SELECT w.event_type FROM oms.webhook_dispatches w JOIN oms.events e ON e.id = w.event_id WHERE e.key = $1`,
      [orderId],
    );
    expect(queued).toEqual([{ event_type: 'delivery.shipped' }]);
    const commits = await ctx.db.query<{ delta_on_hand: number; operation_id: string }>(
      `SELECT delta_on_hand, operation_id FROM ims.inventory_transactions WHERE tenant_id = $1 AND order_id = $2 AND reason = 'commit'`,
      [tenantId, orderId],
    );
    expect(commits).toEqual([{ delta_on_hand: -2, operation_id: deliveryId }]);
    // The IMS's own event of the shipment: one level change of X at A, committed with the stock, handed to the webhooks group once.
    const levels = await ctx.db.query<{ data: InventoryLevelChanged; queued: number }>(
      `SELECT e.data, (SELECT count(*)::int FROM oms.webhook_dispatches w WHERE w.event_id = e.id) AS queued
       FROM oms.events e WHERE e.tenant_id = $1 AND e.type = 'inventory.level_changed' AND e.data->'changes' @> $2::jsonb`,
      [tenantId, JSON.stringify([{ operation_id: deliveryId }])],
    );
    expect(levels).toHaveLength(1);
    expect(levels[0]).toMatchObject({
      queued: 1,
      data: { hub: 'A', sku: 'X', reason: 'commit', changes: [{ reason: 'commit', order_id: orderId, on_hand: -2, reserved: -2 }] },
    });
    const { before, after } = levels[0]!.data;
    expect([after.on_hand - before.on_hand, after.reserved - before.reserved, after.available]).toEqual([-2, -2, after.on_hand - after.reserved]);
    const reservation = await ctx.ims.settlements.get(tenantId, orderId);
    expect(reservation.items.find((i) => i.sku === 'X')).toMatchObject({ quantity: 2, committed: 2 });
    expect((await ctx.ims.stock.reconcile(tenantId)).mismatches).toEqual([]);
  });
});
