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

/** The lines that `levelOf` (on hand and reserved per SKU id) cannot cover, with what is available. */
export function shortagesOf(
  lines: readonly PlannedLine[],
  levelOf: (skuId: string) => { on_hand: number; reserved: number } | undefined,
): { sku: string; requested: number; available: number }[] {
  const short: { sku: string; requested: number; available: number }[] = [];
  for (const line of lines) {
    const level = levelOf(line.sku_id);
    const available = level ? Math.max(level.on_hand - level.reserved, 0) : 0;
    if (available < line.quantity) short.push({ sku: line.code, requested: line.quantity, available });
  }
  return short;
}
