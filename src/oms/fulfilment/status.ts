/** An order's status from its deliveries and returns (see orders/lifecycle.ts). */
import type { OrderStatus } from '../orders/lifecycle';
import type { DeliveryStatus } from '../orders/model';

const units = (lines: readonly { quantity: number }[]) => lines.reduce((sum, l) => sum + l.quantity, 0);

export function statusFrom(
  deliveries: readonly { status: DeliveryStatus; items: readonly { quantity: number }[] }[],
  returns: readonly { items: readonly { quantity: number }[] }[],
): OrderStatus {
  const live = deliveries.filter((d) => d.status !== 'cancelled');
  if (live.length === 0) return 'cancelled';
  const returned = returns.reduce((sum, r) => sum + units(r.items), 0);
  const allDelivered = live.every((d) => d.status === 'delivered');
  if (returned > 0) {
    const delivered = live.reduce((sum, d) => sum + units(d.items), 0);
    return allDelivered && returned >= delivered ? 'returned' : 'partially_returned';
  }
  if (allDelivered) return 'delivered';
  if (live.every((d) => d.status !== 'pending')) return 'shipped';
  if (live.some((d) => d.status !== 'pending')) return 'partially_shipped';
  return 'new_order';
}
