/** Turning a request's items into reservation lines, shared by the single and batch paths. */
import type { FieldErrors } from '../../shared/errors';
import type { CatalogRef } from '../catalog/resources';

export interface PlannedLine {
  sku_id: string;
  code: string;
  quantity: number;
}

/**
 * Lines naming the same SKU (by code or id) are one demand: summed, then sorted by SKU id,
 * which is the lock order of stock rows within a hub. Unknown SKUs are added to `errors`
 * as `${prefix}[i].sku`.
 */
export function planLines(
  items: readonly { sku: string; quantity: number }[],
  skus: ReadonlyMap<string, CatalogRef>,
  errors: FieldErrors,
  prefix: string,
): PlannedLine[] {
  const wanted = new Map<string, PlannedLine>();
  items.forEach((item, i) => {
    const sku = skus.get(item.sku);
    if (!sku) return errors.unknown(`${prefix}[${i}].sku`, 'SKU', item.sku);
    const line = wanted.get(sku.id) ?? { sku_id: sku.id, code: sku.code, quantity: 0 };
    line.quantity += item.quantity;
    wanted.set(sku.id, line);
  });
  return [...wanted.values()].sort((a, b) => (a.sku_id < b.sku_id ? -1 : 1));
}
