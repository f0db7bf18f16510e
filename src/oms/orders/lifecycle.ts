/**
 * The order lifecycle. An order waits on_hold until its stock is reserved (new_order); from then
 * on its status follows its deliveries and returns (fulfilment/status.ts):
 *   on_hold → new_order | cancelled          (the finalizer reserved the stock, or could not)
 *   new_order → partially_shipped → shipped → delivered
 *   delivered | partially_shipped | shipped → partially_returned → returned   (returns)
 *   new_order | partially_shipped → cancelled or shipped/delivered (cancelling what has not shipped)
 */
export const ORDER_STATUSES = ['on_hold', 'new_order', 'partially_shipped', 'shipped', 'delivered', 'partially_returned', 'returned', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses in which an order still has units that have not shipped (pending deliveries). */
export const OPEN_STATUSES: readonly OrderStatus[] = ['new_order', 'partially_shipped'];

/**
 * What a user may ask for through PUT /orders/:id/status, from each status: `shipped` ships every
 * pending delivery, `delivered` delivers every shipped one, `cancelled` cancels what has not shipped.
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  on_hold: ['cancelled'],
  new_order: ['shipped', 'cancelled'],
  partially_shipped: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  partially_returned: [],
  returned: [],
  cancelled: [],
};

/** Transitions a user may ask for. */
export const USER_TARGETS: readonly OrderStatus[] = ['shipped', 'delivered', 'cancelled'];

/** Statuses from which an order may be deleted. */
export const DELETABLE: readonly OrderStatus[] = ['on_hold', 'cancelled'];

export function allowedFor(from: OrderStatus): OrderStatus[] {
  return [...TRANSITIONS[from]];
}
