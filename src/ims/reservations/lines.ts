/** Turning a request's items into reservation lines, shared by the batch and replay paths. */
import type { FieldErrors } from '../../shared/errors';
import type { CatalogRef, RequestedItem, Shortage } from '../../contracts/inventory';

export type { RequestedItem, Shortage };

export interface PlannedLine {
  sku_id: string;
  code: string;
  quantity: number;
  /** The hub the line must ship from; absent: allocation chooses. */
  hub?: { id: string; code: string };
}

/**
 * Lines naming the same SKU at the same hub (by code or id, or both without a hub) are one
 * demand: summed, then sorted by hub and SKU id, which is the lock order of stock rows. An item
 * without a hub takes `defaultHub`. Unknown SKUs and hubs are added to `errors` as
 * `${prefix}[i].sku` and `${prefix}[i].hub`.
 */
export function planLines(
  items: readonly RequestedItem[],
  known: { skus: ReadonlyMap<string, CatalogRef>; hubs: ReadonlyMap<string, CatalogRef> },
  defaultHub: CatalogRef | undefined,
  errors: FieldErrors,
  prefix: string,
): PlannedLine[] {
  const wanted = new Map<string, PlannedLine>();
  items.forEach((item, i) => {
    const sku = known.skus.get(item.sku);
    if (!sku) errors.unknown(`${prefix}[${i}].sku`, 'SKU', item.sku);
    const hub = item.hub === undefined ? defaultHub : known.hubs.get(item.hub);
    if (item.hub !== undefined && !hub) errors.unknown(`${prefix}[${i}].hub`, 'Hub', item.hub);
    if (!sku || (item.hub !== undefined && !hub)) return;
    const key = `${hub?.id ?? '*'}/${sku.id}`;
    const line = wanted.get(key) ?? { sku_id: sku.id, code: sku.code, quantity: 0, ...(hub ? { hub: { id: hub.id, code: hub.code } } : {}) };
    line.quantity += item.quantity;
    wanted.set(key, line);
  });
  const order = (l: PlannedLine) => `${l.hub?.id ?? '~'}/${l.sku_id}`;
  return [...wanted.values()].sort((a, b) => (order(a) < order(b) ? -1 : 1));
}

/** A planned line as the contract's sameUnits reads it (ids only). */
export const asAsked = (l: PlannedLine) => ({ sku_id: l.sku_id, quantity: l.quantity, ...(l.hub ? { hub_id: l.hub.id } : {}) });
