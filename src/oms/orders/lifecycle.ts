/**
 * The order lifecycle: one table of allowed transitions.
 *   on_hold → new_order   (the finalizer reserved the stock)
 *   on_hold → cancelled   (by the user, or by the finalizer under backorder_policy "cancel")
 *   new_order → shipped   (commits the reservation)
 *   new_order → cancelled (releases the reservation)
 *   shipped → delivered
 */
export const ORDER_STATUSES = ['on_hold', 'new_order', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  on_hold: ['new_order', 'cancelled'],
  new_order: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** Transitions a user may ask for; on_hold → new_order belongs to the finalizer alone. */
export const USER_TARGETS: readonly OrderStatus[] = ['shipped', 'delivered', 'cancelled'];

/** Statuses from which an order may be deleted. */
export const DELETABLE: readonly OrderStatus[] = ['on_hold', 'cancelled'];

export function allowedFor(from: OrderStatus, byUser: boolean): OrderStatus[] {
  return TRANSITIONS[from].filter((to) => !byUser || USER_TARGETS.includes(to));
}
