/**
 * Stock levels: counts and adjustments (PUT /inventory), reads, the audit trail and the
 * reconciliation that proves levels equal the sums of the trail.
 */
import type { Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { decodeCursor, toPage } from '../../shared/cursor';
import { AppError, FieldErrors, type FieldError } from '../../shared/errors';
import type { CatalogLookup } from '../catalog/lookup';
import type { CatalogRef } from '../catalog/resources';
import { applyStockChanges, ensureStockRows, levelFigures, lockStockRows, stockKey, uniqueKeys, type LockedLevel, type StockChange } from './ledger';
import { levelsAtHub, listTransactions, reconcile, stockTotals, type TransactionFilter } from './repository';

/** Upper bound on units in one (hub, sku): keeps every sum exact in a JavaScript number. */
export const MAX_UNITS = 1_000_000_000_000;

export interface StockUpdate {
  hub: string;
  sku: string;
  on_hand?: number;
  delta?: number;
  expected_on_hand?: number;
  reason?: string;
}

export interface StockLevel {
  hub: string;
  sku: string;
  on_hand: number;
  reserved: number;
  held: number;
  available: number;
}

const level = (hub: string, sku: string, r: { on_hand: number; reserved: number; held: number }): StockLevel => ({
  hub,
  sku,
  ...levelFigures(r.on_hand, r.reserved, r.held),
});

export class StockService {
  constructor(
    private readonly db: Db,
    private readonly lookup: CatalogLookup,
  ) {}

  /**
   * Applies counts (`on_hand`) and adjustments (`delta`) all-or-nothing, in request order.
   * `batch` says whether the request was an array, which decides how fields are named.
   */
  async put(tenantId: string, updates: readonly StockUpdate[], batch: boolean): Promise<StockLevel[]> {
    const at = (i: number, field: string) => (batch ? `[${i}].${field}` : field);
    const keyed = await this.resolve(tenantId, updates, at);
    const keys = uniqueKeys(keyed.map((k) => ({ hub_id: k.hub.id, sku_id: k.sku.id })));

    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      await ensureStockRows(scope, keys);
      const current = await lockStockRows(scope, keys);
      await applyStockChanges(scope, planChanges(keyed, current, at));
      return keyed.map(({ hub, sku }) => {
        const row = current.get(stockKey({ hub_id: hub.id, sku_id: sku.id }))!;
        return level(hub.code, sku.code, row);
      });
    });
  }

  /** Each update with its hub and SKU, or a 422 naming every bad field. */
  private async resolve(tenantId: string, updates: readonly StockUpdate[], at: FieldAt): Promise<ResolvedUpdate[]> {
    const errors = new FieldErrors();
    updates.forEach((u, i) => {
      if ((u.on_hand === undefined) === (u.delta === undefined)) errors.add(at(i, 'on_hand'), 'field.one_of', { fields: 'on_hand, delta' });
    });
    const hubs = await this.lookup.resolve(
      tenantId,
      'hub',
      updates.map((u) => u.hub),
    );
    const skus = await this.lookup.resolve(
      tenantId,
      'sku',
      updates.map((u) => u.sku),
    );
    updates.forEach((u, i) => {
      if (!hubs.has(u.hub)) errors.unknown(at(i, 'hub'), 'Hub', u.hub);
      if (!skus.has(u.sku)) errors.unknown(at(i, 'sku'), 'SKU', u.sku);
    });
    errors.throwIfAny();
    return updates.map((update) => ({ update, hub: hubs.get(update.hub)!, sku: skus.get(update.sku)! }));
  }

  /** Levels at one hub: the requested SKUs in request order, or every SKU of the tenant by page. */
  async levels(tenantId: string, query: { hub: string; skus?: string[]; limit: number; cursor?: string }) {
    const errors = new FieldErrors();
    const hub = (await this.lookup.resolve(tenantId, 'hub', [query.hub])).get(query.hub);
    if (!hub) errors.unknown('hub', 'Hub', query.hub);
    const skus = query.skus ? await this.lookup.resolve(tenantId, 'sku', query.skus) : undefined;
    const unknown = query.skus?.filter((s) => !skus?.has(s)) ?? [];
    if (unknown.length > 0) errors.unknown('skus', unknown.length === 1 ? 'SKU' : 'SKU (each of these)', unknown.slice(0, 10).join(','));
    errors.throwIfAny();

    const scope = new TenantScope(this.db, tenantId);
    if (query.skus && skus) {
      const ids = query.skus.map((s) => skus.get(s)!.id);
      const rows = await levelsAtHub(scope, hub!.id, { skuIds: ids, limit: ids.length });
      const byId = new Map(rows.map((r) => [r.sku_id, r]));
      return {
        data: ids.map((id) => {
          const r = byId.get(id)!;
          return level(hub!.code, r.sku, r);
        }),
        next_cursor: null,
      };
    }
    const rows = await levelsAtHub(scope, hub!.id, { after: decodeCursor(query.cursor), limit: query.limit + 1 });
    const page = toPage(rows, query.limit, (r) => r.sku_id);
    return { data: page.data.map((r) => level(hub!.code, r.sku, r)), next_cursor: page.next_cursor };
  }

  async transactions(tenantId: string, query: Omit<TransactionFilter, 'hubId' | 'skuId' | 'before'> & { hub?: string; sku?: string; cursor?: string }) {
    const errors = new FieldErrors();
    const hub = query.hub ? (await this.lookup.resolve(tenantId, 'hub', [query.hub])).get(query.hub) : undefined;
    const sku = query.sku ? (await this.lookup.resolve(tenantId, 'sku', [query.sku])).get(query.sku) : undefined;
    if (query.hub && !hub) errors.unknown('hub', 'Hub', query.hub);
    if (query.sku && !sku) errors.unknown('sku', 'SKU', query.sku);
    errors.throwIfAny();
    const before = decodeCursor(query.cursor);
    const rows = await listTransactions(new TenantScope(this.db, tenantId), {
      ...query,
      hubId: hub?.id,
      skuId: sku?.id,
      before: before === undefined ? undefined : Number(before),
      limit: query.limit + 1,
    });
    const page = toPage(rows, query.limit, (r) => String(r.seq));
    return { data: page.data.map(({ seq: _seq, ...rest }) => rest), next_cursor: page.next_cursor };
  }

  stats(tenantId: string) {
    return stockTotals(new TenantScope(this.db, tenantId));
  }

  async reconcile(tenantId: string) {
    return { mismatches: await reconcile(new TenantScope(this.db, tenantId)) };
  }
}

type FieldAt = (i: number, field: string) => string;

interface ResolvedUpdate {
  update: StockUpdate;
  hub: CatalogRef;
  sku: CatalogRef;
}

/**
 * The ledger changes the updates make to the locked rows (which it updates as it goes, so a
 * second update of one row sees the first). Nothing is written: a bad field (422) or a conflict
 * (409, every one named) throws before anything is.
 */
function planChanges(keyed: readonly ResolvedUpdate[], current: Map<string, LockedLevel>, at: FieldAt): StockChange[] {
  const errors = new FieldErrors();
  const changes: StockChange[] = [];
  const conflicts: FieldError[] = [];
  let firstConflict: AppError | undefined;
  const conflict = (field: string, code: 'inventory.stale_on_hand' | 'inventory.below_reserved', params: Record<string, string | number>) => {
    conflicts.push({ field, code, params });
    firstConflict ??= new AppError(409, code, params);
  };

  keyed.forEach(({ update, hub, sku }, i) => {
    const row = current.get(stockKey({ hub_id: hub.id, sku_id: sku.id }));
    if (!row) throw new Error('stock row vanished while locked');
    const names = { hub: hub.code, sku: sku.code };
    const field = at(i, update.on_hand === undefined ? 'delta' : 'on_hand');
    if (update.expected_on_hand !== undefined && update.expected_on_hand !== row.on_hand) {
      return conflict(at(i, 'expected_on_hand'), 'inventory.stale_on_hand', { ...names, expected: update.expected_on_hand, actual: row.on_hand });
    }
    const onHand = update.on_hand ?? row.on_hand + (update.delta ?? 0);
    if (onHand > MAX_UNITS) return errors.add(field, 'field.maximum', { limit: MAX_UNITS });
    // Units reserved for orders and held for carts cannot be counted away: they are promised.
    if (onHand < row.reserved + row.held) {
      return conflict(field, 'inventory.below_reserved', { ...names, on_hand: onHand, reserved: row.reserved, held: row.held });
    }
    if (onHand === row.on_hand) return; // nothing changes, nothing to record
    changes.push({
      hub_id: hub.id,
      sku_id: sku.id,
      delta_on_hand: onHand - row.on_hand,
      delta_reserved: 0,
      delta_held: 0,
      on_hand_after: onHand,
      reserved_after: row.reserved,
      held_after: row.held,
      reason: update.reason ?? (update.on_hand === undefined ? 'adjustment' : 'count'),
      order_id: null,
    });
    row.on_hand = onHand;
  });
  errors.throwIfAny();
  if (firstConflict) throw new AppError(409, firstConflict.code, firstConflict.params, { errors: conflicts });
  return changes;
}
