/**
 * Replacing a hold's lines moves only the difference. keptUnits says which of the units a hold
 * has stay where they are for its new lines (and what is left to take); holdDifference says what
 * then moves per stock row. Units a hold keeps never leave it, so no one can take them between
 * a release and a take.
 */
import type { PlannedLine } from '../reservations/lines';
import { stockKey, type StockKey } from '../stock/ledger';

export interface HeldUnits extends StockKey {
  quantity: number;
  allocation: string | null;
}

/**
 * Per SKU, the hold's units that serve the new lines where they are: a line naming a hub keeps
 * what the hold has there; a line without one keeps what is left at any hub. What the lines
 * still need is `extra` (to allocate); what no line keeps goes back.
 */
export function keptUnits(
  held: readonly HeldUnits[],
  lines: readonly PlannedLine[],
): { kept: HeldUnits[]; extra: PlannedLine[]; keptFor: Map<PlannedLine, number> } {
  const left = new Map(held.map((u) => [stockKey(u), { ...u }]));
  const kept = new Map<string, HeldUnits>();
  const keep = (units: HeldUnits, wanted: number): number => {
    const n = Math.min(wanted, units.quantity);
    if (n === 0) return 0;
    units.quantity -= n;
    const key = stockKey(units);
    const row = kept.get(key) ?? { ...units, quantity: 0 };
    row.quantity += n;
    kept.set(key, row);
    return n;
  };
  const extra: PlannedLine[] = [];
  const keptFor = new Map<PlannedLine, number>();
  // Lines naming their hub first: their units can only be those.
  for (const line of [...lines.filter((l) => l.hub), ...lines.filter((l) => !l.hub)]) {
    let wanted = line.quantity;
    if (line.hub) {
      const units = left.get(stockKey({ hub_id: line.hub.id, sku_id: line.sku_id }));
      if (units) wanted -= keep(units, wanted);
    } else {
      for (const units of left.values()) if (units.sku_id === line.sku_id && wanted > 0) wanted -= keep(units, wanted);
    }
    keptFor.set(line, line.quantity - wanted);
    if (wanted > 0) extra.push({ ...line, quantity: wanted });
  }
  return { kept: [...kept.values()], extra, keptFor };
}

/** What moves per stock row from `before` to `after` (added: positive), in lock order; rows unchanged are absent. */
export function holdDifference(
  before: readonly Omit<HeldUnits, 'allocation'>[],
  after: readonly Omit<HeldUnits, 'allocation'>[],
): (StockKey & { delta: number })[] {
  const delta = new Map<string, StockKey & { delta: number }>();
  const add = (units: Omit<HeldUnits, 'allocation'>, sign: 1 | -1) => {
    const key = stockKey(units);
    const row = delta.get(key) ?? { hub_id: units.hub_id, sku_id: units.sku_id, delta: 0 };
    row.delta += sign * units.quantity;
    delta.set(key, row);
  };
  for (const units of before) add(units, -1);
  for (const units of after) add(units, 1);
  return [...delta.entries()]
    .filter(([, row]) => row.delta !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, row]) => row);
}
