/**
 * What a shipment or a return takes, worked out from an order's deliveries before anything is
 * written: pure functions, so every refusal happens before the transaction changes a row.
 */
import { AppError, FieldErrors } from '../../shared/errors';
import type { ReturnDisposition } from '../orders/model';
import type { DeliveryRow, ReturnRow, StoredLine, StoredReturnLine } from './repository';

/** Items as a request names them: a SKU by code or id, and how many. */
export interface RequestedUnits {
  sku: string;
  quantity: number;
}

const names = (line: StoredLine, ref: string) => line.sku === ref || line.sku_id === ref;

/**
 * Which units of a pending delivery ship: all of them (no items, or items covering it whole), or
 * some, which leave in a delivery of their own while the rest stays. A 422 names each item for
 * a SKU the delivery does not hold, or more units than it holds.
 */
export function planShipment(
  delivery: DeliveryRow,
  items: readonly RequestedUnits[] | undefined,
): { whole: true } | { whole: false; shipped: StoredLine[]; remaining: StoredLine[] } {
  if (!items) return { whole: true };
  const errors = new FieldErrors();
  const asked = new Map<string, number>();
  items.forEach((item, i) => {
    const line = delivery.items.find((l) => names(l, item.sku));
    if (!line) return errors.add(`items[${i}].sku`, 'field.not_in_delivery', { sku: item.sku });
    const total = (asked.get(line.sku_id) ?? 0) + item.quantity;
    if (total > line.quantity) errors.add(`items[${i}].quantity`, 'field.exceeds_delivery', { pending: line.quantity, sku: line.sku });
    asked.set(line.sku_id, total);
  });
  errors.throwIfAny();
  const shipped = delivery.items.flatMap((l) => (asked.has(l.sku_id) ? [{ ...l, quantity: asked.get(l.sku_id)! }] : []));
  const remaining = delivery.items.flatMap((l) => {
    const left = l.quantity - (asked.get(l.sku_id) ?? 0);
    return left > 0 ? [{ ...l, quantity: left }] : [];
  });
  return remaining.length === 0 ? { whole: true } : { whole: false, shipped, remaining };
}

/**
 * A return's lines, each placed on the hub its units were delivered from (oldest delivery
 * first), never more than was delivered and not yet returned. A SKU never delivered on the order
 * is a 422; more units than can come back is a 409 naming what can.
 */
export function planReturn(
  deliveries: readonly DeliveryRow[],
  returns: readonly ReturnRow[],
  items: readonly (RequestedUnits & { disposition: ReturnDisposition })[],
): StoredReturnLine[] {
  // Units that can still come back, per delivered (hub, sku), in delivery order.
  const returnable: (StoredLine & { hub: string; hub_id: string })[] = [];
  for (const d of deliveries) {
    if (d.status !== 'delivered') continue;
    for (const line of d.items) {
      const slot = returnable.find((r) => r.hub_id === d.hub_id && r.sku_id === line.sku_id);
      if (slot) slot.quantity += line.quantity;
      else returnable.push({ ...line, hub: d.hub, hub_id: d.hub_id });
    }
  }
  for (const line of returns.flatMap((r) => r.items)) {
    const slot = returnable.find((r) => r.hub_id === line.hub_id && r.sku_id === line.sku_id);
    if (slot) slot.quantity -= line.quantity;
  }

  const errors = new FieldErrors();
  items.forEach((item, i) => {
    if (!returnable.some((r) => names(r, item.sku))) errors.add(`items[${i}].sku`, 'field.not_delivered', { sku: item.sku });
  });
  errors.throwIfAny();

  const lines: StoredReturnLine[] = [];
  for (const item of items) {
    let wanted = item.quantity;
    const slots = returnable.filter((r) => names(r, item.sku));
    const left = slots.reduce((sum, r) => sum + r.quantity, 0);
    if (left < wanted) throw new AppError(409, 'return.exceeds_delivered', { sku: slots[0]!.sku, requested: item.quantity, returnable: left });
    for (const slot of slots) {
      const take = Math.min(wanted, slot.quantity);
      if (take === 0) continue;
      slot.quantity -= take;
      wanted -= take;
      lines.push({ sku: slot.sku, sku_id: slot.sku_id, hub: slot.hub, hub_id: slot.hub_id, quantity: take, disposition: item.disposition });
    }
  }
  return lines;
}
