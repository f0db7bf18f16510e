/**
 * The one place an order's status changes: the row and its order.updated event, in the
 * caller's transaction. The API's transitions, the finalizer's moves and the status derived from
 * deliveries and returns all come through here; the lifecycle's rules are the callers' to check.
 */
import type { TenantTx } from '../../db/tenant-scope';
import { appendEvents, type NewEvent } from '../../events/outbox';
import type { OrderStatus } from './lifecycle';
import { toOrder, type Order } from './model';
import { updateStatuses } from './repository';

export interface StatusChange {
  ids: readonly string[];
  /** Only orders still in this status move (one that changed meanwhile is left alone). */
  from: OrderStatus;
  to: OrderStatus;
  /** The new status reason; undefined keeps the current one. */
  reason?: string | null;
  /** More for an order's event (the finalizer's allocation). */
  detail?: (order: Order) => { allocation?: unknown[]; release_stock?: true };
  /** Events of the same change that come before the status's own (a shipment's). */
  after?: readonly NewEvent[];
}

/** Moves the orders and appends their events (`after` first); answers the moved orders. */
export async function changeStatuses(scope: TenantTx, change: StatusChange): Promise<Order[]> {
  const orders = change.ids.length === 0 ? [] : (await updateStatuses(scope, change.ids, change.from, change.to, change.reason)).map(toOrder);
  await appendEvents(scope, [
    ...(change.after ?? []),
    ...orders.map((order): NewEvent => ({ type: 'order.updated', key: order.id, data: { order, previous_status: change.from, ...change.detail?.(order) } })),
  ]);
  return orders;
}
