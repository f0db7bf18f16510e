/**
 * What the finalizer does to orders on hold, apart from the API's use cases (service.ts): each
 * method works in the transaction it is given, so a caller composes them and commits once.
 * - reserved: on_hold → new_order, with one pending delivery per hub the reservation holds
 *   units at, and an order.updated recording where each line ships from and why;
 * - waiting: why an order waits for stock (status_reason insufficient_stock, the lines short);
 * - cancelled: on_hold → cancelled (not enough stock under the cancel policy, an unknown item).
 */
import type { Db } from '../../db/handle';
import { TenantTx } from '../../db/tenant-scope';
import { appendEvents } from '../../events/outbox';
import type { Reservation, ReserveInput } from '../../contracts/inventory';
import { insertDeliveries } from '../fulfilment/repository';
import { allocationOf, deliveriesFor } from '../fulfilment/from-reservation';
import { toOrder, type OrderShortage } from './model';
import { markWaiting, type HeldOrder } from './repository';
import { changeStatuses } from './status-changes';

/** What IMS is asked to reserve for an order: a line's own hub wins over the order's; a line with neither is allocated by IMS. */
export const toReserveInput = (order: HeldOrder): ReserveInput => ({
  order_id: order.id,
  ...(order.hub_id ? { hub: order.hub_id } : {}),
  items: order.items.map((i) => ({ sku: i.sku_id, quantity: i.quantity, ...(i.hub_id ? { hub: i.hub_id } : {}) })),
  ...(order.hold_id ? { hold_id: order.hold_id } : {}),
});

/** Answers the ids moved (one cancelled or deleted meanwhile is not among them). */
export async function markReserved(scope: TenantTx, reservations: readonly Reservation[]): Promise<Set<string>> {
  if (reservations.length === 0) return new Set();
  const byId = new Map(reservations.map((r) => [r.order_id, r]));
  const orders = await changeStatuses(scope, {
    ids: [...byId.keys()],
    from: 'on_hold',
    to: 'new_order',
    reason: null,
    detail: (order) => ({ allocation: allocationOf(byId.get(order.id)!) }),
  });
  await insertDeliveries(
    scope,
    orders.flatMap((order) => deliveriesFor(order.id, byId.get(order.id)!)),
    false,
  );
  return new Set(orders.map((o) => o.id));
}

/**
 * Records why held orders wait for stock. The first time, with an order.updated (on_hold →
 * on_hold) in the same transaction, so the history and the webhooks say why; later retries only
 * refresh the figures.
 */
export async function markWaitingForStock(scope: TenantTx, waits: readonly { id: string; shortages: OrderShortage[] }[]): Promise<void> {
  if (waits.length === 0) return;
  const changed = await markWaiting(scope, waits);
  const first = changed.filter((row) => !row.was_waiting).map(({ was_waiting: _, ...row }) => toOrder(row));
  await appendEvents(
    scope,
    first.map((order) => ({ type: 'order.updated' as const, key: order.id, data: { order, previous_status: 'on_hold' } })),
  );
}

/** Held orders cancelled with a reason; answers the ids moved. */
export async function cancelHeld(scope: TenantTx, ids: readonly string[], reason: string): Promise<Set<string>> {
  return new Set((await changeStatuses(scope, { ids, from: 'on_hold', to: 'cancelled', reason })).map((o) => o.id));
}

/** The same, each in a transaction of its own: what the finalizer calls. */
export class HeldOrderService {
  constructor(private readonly db: Db) {}

  /** `durable: false` for the finalizer, which redoes a lost move after a crash (IMS replays the reservation). */
  markReserved(tenantId: string, reservations: readonly Reservation[], options: { durable?: boolean } = {}): Promise<Set<string>> {
    if (reservations.length === 0) return Promise.resolve(new Set());
    return this.db.transaction((tx) => markReserved(new TenantTx(tx, tenantId), reservations), options);
  }

  async markWaiting(tenantId: string, waits: readonly { id: string; shortages: OrderShortage[] }[]): Promise<void> {
    if (waits.length === 0) return;
    await this.db.transaction((tx) => markWaitingForStock(new TenantTx(tx, tenantId), waits));
  }

  cancel(tenantId: string, ids: readonly string[], reason: string): Promise<Set<string>> {
    if (ids.length === 0) return Promise.resolve(new Set());
    return this.db.transaction((tx) => cancelHeld(new TenantTx(tx, tenantId), ids, reason));
  }
}
