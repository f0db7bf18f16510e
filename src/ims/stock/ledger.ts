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
import { SqlParams } from '../../db/sql-params';
import { INVENTORY_EVENTS_CHANNEL } from '../../events/outbox';

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

/**
 * More writes for the statement that applies stock changes: data-modifying CTEs (named, comma
 * separated) whose values come from `params`, so they never count the statement's placeholders.
 */
export type AlongsideWrites = (params: SqlParams) => string;

/** The ledger's columns, in one place: the changes' unnest and the ledger row both read this list. */
export const CHANGE_COLUMNS = [
  ['hub_id', 'uuid'],
  ['sku_id', 'uuid'],
  ['delta_on_hand', 'int8'],
  ['delta_reserved', 'int8'],
  ['on_hand_after', 'int8'],
  ['reserved_after', 'int8'],
  ['reason', 'text'],
  ['order_id', 'text'],
  ['operation_id', 'text'],
] as const satisfies readonly (readonly [keyof StockChange, string])[];

/**
 * Writes the levels after `changes` (in order; the last change of a row holds its final level),
 * appends their ledger rows, and records one `inventory.level_changed` event per row whose level
 * moved (its figures before the first change and after the last, and every change behind it), in
 * one statement. The rows must be locked by the caller. `alongside` rides in the same statement
 * (one round trip for the step, not one per table).
 */
export async function applyStockChanges(scope: TenantTx, changes: readonly StockChange[], alongside?: AlongsideWrites): Promise<void> {
  if (changes.length === 0 && !alongside) return;
  const params = new SqlParams(2); // $1: the tenant
  const unnest = params.unnest(changes, CHANGE_COLUMNS);
  const names = CHANGE_COLUMNS.map(([name]) => name).join(', ');
  const more = alongside ? `, ${alongside(params)}` : '';
  await scope.query(
    `WITH changes AS (
       SELECT * FROM ${unnest} WITH ORDINALITY AS c(${names}, n)
     ), per_row AS (
       SELECT hub_id, sku_id,
              (array_agg(on_hand_after - delta_on_hand ORDER BY n))[1] AS on_hand_before,
              (array_agg(reserved_after - delta_reserved ORDER BY n))[1] AS reserved_before,
              (array_agg(on_hand_after ORDER BY n DESC))[1] AS on_hand_after,
              (array_agg(reserved_after ORDER BY n DESC))[1] AS reserved_after,
              CASE WHEN count(DISTINCT reason) = 1 THEN min(reason) ELSE 'mixed' END AS reason,
              jsonb_agg(jsonb_build_object('reason', reason, 'order_id', order_id, 'operation_id', operation_id,
                                           'on_hand', delta_on_hand, 'reserved', delta_reserved) ORDER BY n) AS causes
       FROM changes GROUP BY hub_id, sku_id
     ), updated AS (
       UPDATE ims.stock_levels s
       SET on_hand = f.on_hand_after, reserved = f.reserved_after, updated_at = now()
       FROM per_row f
       WHERE s.tenant_id = $1 AND s.hub_id = f.hub_id AND s.sku_id = f.sku_id
       RETURNING 1
     ), ledger AS (
       INSERT INTO ims.inventory_transactions (tenant_id, ${names})
       SELECT $1, ${names} FROM changes ORDER BY n
       RETURNING 1
     ), level_events AS (
       INSERT INTO oms.events (tenant_id, type, key, data)
       SELECT $1, 'inventory.level_changed', f.hub_id || ':' || f.sku_id,
              jsonb_build_object(
                'hub_id', f.hub_id, 'hub', h.code, 'sku_id', f.sku_id, 'sku', k.code,
                'before', jsonb_build_object('on_hand', f.on_hand_before, 'reserved', f.reserved_before, 'available', f.on_hand_before - f.reserved_before),
                'after', jsonb_build_object('on_hand', f.on_hand_after, 'reserved', f.reserved_after, 'available', f.on_hand_after - f.reserved_after),
                'reason', f.reason, 'changes', f.causes)
       FROM per_row f
       JOIN ims.hubs h ON h.tenant_id = $1 AND h.id = f.hub_id
       JOIN ims.skus k ON k.tenant_id = $1 AND k.id = f.sku_id
       WHERE (f.on_hand_before, f.reserved_before) IS DISTINCT FROM (f.on_hand_after, f.reserved_after)
       ORDER BY f.hub_id, f.sku_id
       RETURNING 1
     )${more}
     SELECT count(*)::int AS events FROM level_events`,
    params.values,
  );
  if (changes.length > 0) scope.tx.notify(INVENTORY_EVENTS_CHANNEL);
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
