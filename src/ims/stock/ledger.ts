/**
 * How stock levels change: a level never moves without its ledger row, written by the same
 * statement. Inventory counts, batch reservations, releases and shipments follow three steps
 * inside their transaction:
 *   1. lock the affected stock rows in (hub_id, sku_id) order — a fixed global order, so two
 *      transactions touching overlapping rows can never deadlock;
 *   2. compute the new levels from the locked values;
 *   3. `applyStockChanges`: one statement that writes the final levels and appends one ledger
 *      row per change.
 */
import type { TenantScope, TenantTx } from '../../db/tenant-scope';
import { STOCK_RAISED_CHANNEL, type StockRaised } from '../../shared/stock-raised';

export interface StockKey {
  hub_id: string;
  sku_id: string;
}

export interface LockedLevel extends StockKey {
  on_hand: number;
  reserved: number;
}

export interface StockChange extends StockKey {
  delta_on_hand: number;
  delta_reserved: number;
  on_hand_after: number;
  reserved_after: number;
  reason: string;
  order_id: string | null;
  /** The settlement that made the change: a shipment or cancelled delivery, or a return. */
  operation_id?: string | null;
}

export const stockKey = (k: StockKey): string => `${k.hub_id}/${k.sku_id}`;

/** Each (hub, sku) once, whatever how many times it is named. */
export function uniqueKeys(keys: readonly StockKey[]): StockKey[] {
  const seen = new Map<string, StockKey>();
  for (const k of keys) seen.set(stockKey(k), k);
  return [...seen.values()];
}

const SKUS_PER_NOTICE = 100; // keeps the payload far below NOTIFY's 8000-byte limit

/** Creates missing (zero) rows so that they can be locked; used before counts and receipts. */
export async function ensureStockRows(scope: TenantScope, keys: readonly StockKey[]): Promise<void> {
  if (keys.length === 0) return;
  await scope.query(
    `INSERT INTO ims.stock_levels (tenant_id, hub_id, sku_id)
     SELECT $1, k.hub_id, k.sku_id FROM unnest($2::uuid[], $3::uuid[]) AS k(hub_id, sku_id)
     ORDER BY k.hub_id, k.sku_id
     ON CONFLICT DO NOTHING`,
    [keys.map((k) => k.hub_id), keys.map((k) => k.sku_id)],
  );
}

/**
 * The one statement that locks stock rows, in (hub_id, sku_id) order: the tenant is $1, the keys'
 * hub and SKU ids the uuid[] parameters numbered `hubs` and `skus` (so that it can also be a CTE
 * of a larger statement).
 */
export const lockStockRowsSql = (hubs: number, skus: number) =>
  `SELECT hub_id, sku_id, on_hand, reserved FROM ims.stock_levels
   WHERE tenant_id = $1 AND (hub_id, sku_id) IN (SELECT * FROM unnest($${hubs}::uuid[], $${skus}::uuid[]))
   ORDER BY hub_id, sku_id
   FOR UPDATE`;

/** Locks the existing rows among `keys`, in (hub_id, sku_id) order. Missing rows are absent. */
export async function lockStockRows(scope: TenantScope, keys: readonly StockKey[]): Promise<Map<string, LockedLevel>> {
  const rows = await scope.query<LockedLevel>(lockStockRowsSql(2, 3), [keys.map((k) => k.hub_id), keys.map((k) => k.sku_id)]);
  return new Map(rows.map((r) => [stockKey(r), r]));
}

/** More writes for the statement that applies stock changes: data-modifying CTEs whose parameters start at $11. */
export interface AlongsideWrites {
  ctes: string;
  params: unknown[];
}

/**
 * Writes the levels after `changes` (in order; the last change of a row holds its final level)
 * and appends their ledger rows, in one statement. The rows must be locked by the caller.
 * `alongside` rides in the same statement (one round trip for the step, not one per table).
 */
export async function applyStockChanges(scope: TenantTx, changes: readonly StockChange[], alongside?: AlongsideWrites): Promise<void> {
  if (changes.length === 0 && !alongside) return;
  const column = <K extends keyof StockChange>(key: K) => changes.map((c) => c[key]);
  await scope.query(
    `WITH changes AS (
       SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::text[], $9::text[], $10::text[])
         WITH ORDINALITY AS c(hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id, operation_id, n)
     ), final AS (
       SELECT DISTINCT ON (hub_id, sku_id) hub_id, sku_id, on_hand_after, reserved_after
       FROM changes ORDER BY hub_id, sku_id, n DESC
     ), updated AS (
       UPDATE ims.stock_levels s
       SET on_hand = f.on_hand_after, reserved = f.reserved_after, updated_at = now()
       FROM final f
       WHERE s.tenant_id = $1 AND s.hub_id = f.hub_id AND s.sku_id = f.sku_id
       RETURNING 1
     ), ledger AS (
       INSERT INTO ims.inventory_transactions
         (tenant_id, hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id, operation_id)
       SELECT $1, hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id, operation_id
       FROM changes ORDER BY n
       RETURNING 1
     )${alongside ? `, ${alongside.ctes}` : ''}
     SELECT 1`,
    [
      column('hub_id'),
      column('sku_id'),
      column('delta_on_hand'),
      column('delta_reserved'),
      column('on_hand_after'),
      column('reserved_after'),
      column('reason'),
      column('order_id'),
      changes.map((c) => c.operation_id ?? null),
      ...(alongside?.params ?? []),
    ],
  );
  announceRaisedStock(scope, changes);
}

function announceRaisedStock(scope: TenantTx, changes: readonly StockChange[]): void {
  const byHub = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.delta_on_hand - c.delta_reserved <= 0) continue; // available did not rise
    byHub.set(c.hub_id, (byHub.get(c.hub_id) ?? new Set()).add(c.sku_id));
  }
  for (const [hubId, skus] of byHub) {
    const skuIds = skus.size <= SKUS_PER_NOTICE ? [...skus] : undefined;
    const notice: StockRaised = { tenant_id: scope.tenantId, hub_id: hubId, ...(skuIds ? { sku_ids: skuIds } : {}) };
    scope.tx.notify(STOCK_RAISED_CHANNEL, JSON.stringify(notice));
  }
}
