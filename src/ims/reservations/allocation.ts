/**
 * Where an order's units come from: every line at the hub it names, and the lines without a hub
 * placed by the tenant's allocation policy (tenants/repository.ts), against stock levels locked
 * by the caller. All or nothing: an order that cannot be served whole takes nothing.
 */
import type { AllocationPolicy } from '../tenants/repository';
import { levelFigures, mergeByStockRow, stockKey, type LockedLevel } from '../stock/ledger';
import type { PlannedLine, Shortage } from './lines';
import type { AllocationReason } from '../../contracts/inventory';

export interface HubChoice {
  id: string;
  code: string;
  priority: number;
}

/** Why a line ships from its hub: the request named it, one hub could ship every open line, or the hubs' priority. */
export type { AllocationReason };

export interface AllocatedLine {
  hub_id: string;
  hub: string;
  sku_id: string;
  code: string;
  quantity: number;
  allocation: AllocationReason;
}

export type Allocation = { ok: true; lines: AllocatedLine[] } | { ok: false; shortages: Shortage[] };

/** Units still free at a (hub, sku), after what this order (or hold) has taken so far. */
export class Availability {
  private readonly taken = new Map<string, number>();

  constructor(private readonly levels: ReadonlyMap<string, LockedLevel>) {}

  free(hubId: string, skuId: string): number {
    const key = stockKey({ hub_id: hubId, sku_id: skuId });
    const level = this.levels.get(key);
    return level ? Math.max(levelFigures(level.on_hand, level.reserved, level.held).available - (this.taken.get(key) ?? 0), 0) : 0;
  }

  take(hubId: string, skuId: string, quantity: number): void {
    const key = stockKey({ hub_id: hubId, sku_id: skuId });
    this.taken.set(key, (this.taken.get(key) ?? 0) + quantity);
  }
}

/**
 * Allocates one order (or one hold). `hubs` are the hubs that may ship open lines, in the order
 * allocation tries them (priority, then code). On success the locked levels are updated (`into`,
 * reserved for an order or held for a hold, rises), so that the next order of the batch sees
 * what is left.
 */
export function allocateOrder(
  lines: readonly PlannedLine[],
  levels: Map<string, LockedLevel>,
  hubs: readonly HubChoice[],
  policy: AllocationPolicy,
  into: 'reserved' | 'held' = 'reserved',
): Allocation {
  const free = new Availability(levels);
  const placed: AllocatedLine[] = [];
  const shortages: Shortage[] = [];
  for (const line of lines) {
    if (!line.hub) continue;
    const available = free.free(line.hub.id, line.sku_id);
    if (available < line.quantity) shortages.push({ sku: line.code, hub: line.hub.code, requested: line.quantity, available });
    else {
      free.take(line.hub.id, line.sku_id, line.quantity);
      placed.push({ hub_id: line.hub.id, hub: line.hub.code, sku_id: line.sku_id, code: line.code, quantity: line.quantity, allocation: 'requested' });
    }
  }
  const open = lines.filter((l) => !l.hub);
  // A hub the order already ships from is tried first: one parcel fewer.
  const used = new Set(placed.map((l) => l.hub_id));
  const tried = used.size === 0 ? hubs : [...hubs.filter((h) => used.has(h.id)), ...hubs.filter((h) => !used.has(h.id))];
  if (open.length > 0) placeOpenLines(open, tried, policy, free, placed, shortages);
  if (shortages.length > 0) return { ok: false, shortages };

  const merged = mergeByStockRow(placed);
  for (const line of merged) levels.get(stockKey(line))![into] += line.quantity;
  return { ok: true, lines: merged };
}

function placeOpenLines(
  open: readonly PlannedLine[],
  hubs: readonly HubChoice[],
  policy: AllocationPolicy,
  free: Availability,
  placed: AllocatedLine[],
  shortages: Shortage[],
): void {
  const at = (hub: HubChoice, line: PlannedLine, quantity: number, allocation: AllocationReason): AllocatedLine => ({
    hub_id: hub.id,
    hub: hub.code,
    sku_id: line.sku_id,
    code: line.code,
    quantity,
    allocation,
  });
  if (policy !== 'priority') {
    const single = hubs.find((hub) => open.every((line) => free.free(hub.id, line.sku_id) >= line.quantity));
    if (single) {
      for (const line of open) {
        free.take(single.id, line.sku_id, line.quantity);
        placed.push(at(single, line, line.quantity, 'single_hub'));
      }
      return;
    }
    if (policy === 'single_hub_only') {
      for (const line of open) {
        const best = Math.max(0, ...hubs.map((hub) => free.free(hub.id, line.sku_id)));
        if (best < line.quantity) shortages.push({ sku: line.code, requested: line.quantity, available: best });
      }
      // Each line alone fits somewhere, but no one hub fits them all: name every open line.
      if (shortages.length === 0) for (const line of open) shortages.push({ sku: line.code, requested: line.quantity, available: 0 });
      return;
    }
  }
  for (const line of open) {
    let wanted = line.quantity;
    const total = hubs.reduce((sum, hub) => sum + free.free(hub.id, line.sku_id), 0);
    if (total < wanted) {
      shortages.push({ sku: line.code, requested: line.quantity, available: total });
      continue;
    }
    for (const hub of hubs) {
      const take = Math.min(wanted, free.free(hub.id, line.sku_id));
      if (take === 0) continue;
      free.take(hub.id, line.sku_id, take);
      placed.push(at(hub, line, take, 'priority'));
      wanted -= take;
      if (wanted === 0) break;
    }
  }
}
