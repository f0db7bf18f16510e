/** An order's deliveries and allocation record, as its reservation in IMS placed the units. */
import { newId } from '../../shared/ids';
import type { Reservation } from '../../contracts/inventory';
import type { NewDelivery } from './repository';

/** One pending delivery per hub the reservation holds units at. */
export function deliveriesFor(orderId: string, reservation: Reservation) {
  const byHub = new Map<string, NewDelivery>();
  for (const item of reservation.items) {
    const held = item.quantity - item.committed - item.released;
    if (held <= 0) continue;
    const delivery = byHub.get(item.hub_id) ?? { id: newId(), order_id: orderId, hub_id: item.hub_id, hub: item.hub, status: 'pending', items: [] };
    delivery.items.push({ sku: item.sku, sku_id: item.sku_id, quantity: held });
    byHub.set(item.hub_id, delivery);
  }
  return [...byHub.values()];
}

/** Where each line ships from, and why (the order's history shows it). */
export function allocationOf(reservation: Reservation) {
  return reservation.items.map((i) => ({ sku: i.sku, hub: i.hub, quantity: i.quantity, reason: i.allocation ?? 'requested' }));
}
