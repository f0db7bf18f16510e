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
import type { InventoryLevelChanged } from '../../contracts/events';

export interface StockKey {
  hub_id: string;
  sku_id: string;
}

export interface LockedLevel extends StockKey {
  on_hand: number;
  reserved: number;
  /** Units under active holds (carts, checkouts). */
  held: number;
}

export interface StockChange extends StockKey {
  delta_on_hand: number;
  delta_reserved: number;
  delta_held: number;
  on_hand_after: number;
  reserved_after: number;
  held_after: number;
  reason: string;
  order_id: string | null;
  /** The settlement that made the change: a shipment or cancelled delivery, or a return. */
  operation_id?: string | null;
  /** The hold whose units moved (held, released, expired, converted into order_id's reservation). */
  hold_id?: string | null;
}

export const stockKey = (k: StockKey): string => `${k.hub_id}/${k.sku_id}`;

/** Each (hub, sku) once, whatever how many times it is named. */
export function uniqueKeys(keys: readonly StockKey[]): StockKey[] {
  const seen = new Map<string, StockKey>();
  for (const k of keys) seen.set(stockKey(k), k);
  return [...seen.values()];
}

/**
 * Units of one stock row summed into one line (the first line's other fields kept), in lock
 * order: an order's named and open lines, or a hold's kept and added units, may meet on a row.
 */
export function mergeByStockRow<L extends StockKey & { quantity: number }>(lines: readonly L[]): L[] {
  const byKey = new Map<string, L>();
  for (const line of lines) {
    const key = stockKey(line);
    const existing = byKey.get(key);
    if (existing) existing.quantity += line.quantity;
    else byKey.set(key, { ...line });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, line]) => line);
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
  `SELECT hub_id, sku_id, on_hand, reserved, held FROM ims.stock_levels
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

/** Several writes to ride in one statement (absent ones skipped). */
export const alongside =
  (...writes: (AlongsideWrites | undefined)[]): AlongsideWrites =>
  (params) =>
    writes
      .filter((w) => w !== undefined)
      .map((w) => w(params))
      .join(', ');

/** The ledger's columns, in one place: the changes' unnest and the ledger row both read this list. */
export const CHANGE_COLUMNS = [
  ['hub_id', 'uuid'],
  ['sku_id', 'uuid'],
  ['delta_on_hand', 'int8'],
  ['delta_reserved', 'int8'],
  ['delta_held', 'int8'],
  ['on_hand_after', 'int8'],
  ['reserved_after', 'int8'],
  ['held_after', 'int8'],
  ['reason', 'text'],
  ['order_id', 'text'],
  ['operation_id', 'text'],
  ['hold_id', 'uuid'],
] as const satisfies readonly (readonly [keyof StockChange, string])[];

/** One stock row's move in a transaction: its final level and, when it moved, its event's data (codes aside). */
export interface RowMove extends StockKey {
  on_hand: number;
  reserved: number;
  held: number;
  /** `inventory.level_changed`'s data without `hub` and `sku` (the statement looks them up); null when the level did not move. */
  event: string | null;
}

/** A stock row's figures; the one place that says what is available. */
export const levelFigures = (on_hand: number, reserved: number, held: number) => ({ on_hand, reserved, held, available: on_hand - reserved - held });

/** Units that became available by a change (negative: taken). */
export const availableDelta = (c: StockChange) => c.delta_on_hand - c.delta_reserved - c.delta_held;

/**
 * Each stock row's move, from `changes` in order: its level before the first change and after the
 * last, the ledger reason (`mixed` when there were several) and every change behind it. Computed
 * here, not by aggregates in the statement: the caller already holds the figures, and the
 * database's time is the hot path's.
 */
export function rowMoves(changes: readonly StockChange[]): RowMove[] {
  const byRow = new Map<string, StockChange[]>();
  for (const c of changes) {
    const key = stockKey(c);
    const row = byRow.get(key);
    if (row) row.push(c);
    else byRow.set(key, [c]);
  }
  return [...byRow.values()].map((row) => {
    const first = row[0]!;
    const last = row[row.length - 1]!;
    const before = levelFigures(first.on_hand_after - first.delta_on_hand, first.reserved_after - first.delta_reserved, first.held_after - first.delta_held);
    const after = levelFigures(last.on_hand_after, last.reserved_after, last.held_after);
    const moved = before.on_hand !== after.on_hand || before.reserved !== after.reserved || before.held !== after.held;
    const reasons = new Set(row.map((c) => c.reason));
    const data: Omit<InventoryLevelChanged, 'hub' | 'sku'> = {
      hub_id: first.hub_id,
      sku_id: first.sku_id,
      before,
      after,
      reason: reasons.size === 1 ? first.reason : 'mixed',
      changes: row.map((c) => ({
        reason: c.reason,
        order_id: c.order_id,
        operation_id: c.operation_id ?? null,
        hold_id: c.hold_id ?? null,
        on_hand: c.delta_on_hand,
        reserved: c.delta_reserved,
        held: c.delta_held,
      })),
    };
    return {
      hub_id: first.hub_id,
      sku_id: first.sku_id,
      on_hand: after.on_hand,
      reserved: after.reserved,
      held: after.held,
      event: moved ? JSON.stringify(data) : null,
    };
  });
}

const MOVE_COLUMNS = [
  ['hub_id', 'uuid'],
  ['sku_id', 'uuid'],
  ['on_hand', 'int8'],
  ['reserved', 'int8'],
  ['held', 'int8'],
  ['event', 'jsonb'],
] as const satisfies readonly (readonly [keyof RowMove, string])[];

/**
 * Writes the levels after `changes` (in order; the last change of a row holds its final level),
 * appends their ledger rows, and records one `inventory.level_changed` event per row whose level
 * moved (see rowMoves), in one statement. The rows must be locked by the caller. `alongside`
 * rides in the same statement (one round trip for the step, not one per table). Hub and SKU codes
 * are looked up one row at a time by key (scalar subqueries: never a scan of the tenant's SKUs).
 */
export async function applyStockChanges(scope: TenantTx, changes: readonly StockChange[], alongside?: AlongsideWrites): Promise<void> {
  if (changes.length === 0 && !alongside) return;
  const params = new SqlParams(2); // $1: the tenant
  const names = CHANGE_COLUMNS.map(([name]) => name).join(', ');
  const changed = params.unnest(changes, CHANGE_COLUMNS);
  const moves = params.unnest(rowMoves(changes), MOVE_COLUMNS);
  const more = alongside ? `, ${alongside(params)}` : '';
  await scope.query(
    `WITH moves AS (
       SELECT * FROM ${moves} AS m(${MOVE_COLUMNS.map(([name]) => name).join(', ')})
     ), updated AS (
       UPDATE ims.stock_levels s
       SET on_hand = m.on_hand, reserved = m.reserved, held = m.held, updated_at = now()
       FROM moves m
       WHERE s.tenant_id = $1 AND s.hub_id = m.hub_id AND s.sku_id = m.sku_id
       RETURNING 1
     ), ledger AS (
       INSERT INTO ims.inventory_transactions (tenant_id, ${names})
       SELECT $1, ${names} FROM ${changed} WITH ORDINALITY AS c(${names}, n) ORDER BY n
       RETURNING 1
     ), level_events AS (
       INSERT INTO oms.events (tenant_id, type, key, data)
       SELECT $1, 'inventory.level_changed', m.hub_id || ':' || m.sku_id,
              m.event || jsonb_build_object(
                'hub', (SELECT h.code FROM ims.hubs h WHERE h.tenant_id = $1 AND h.id = m.hub_id),
                'sku', (SELECT k.code FROM ims.skus k WHERE k.tenant_id = $1 AND k.id = m.sku_id))
       FROM moves m
       WHERE m.event IS NOT NULL
       ORDER BY m.hub_id, m.sku_id
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
    if (availableDelta(c) <= 0) continue; // available did not rise
    byHub.set(c.hub_id, (byHub.get(c.hub_id) ?? new Set()).add(c.sku_id));
  }
  for (const [hubId, skus] of byHub) {
    const skuIds = skus.size <= SKUS_PER_NOTICE ? [...skus] : undefined;
    const notice: StockRaised = { tenant_id: scope.tenantId, hub_id: hubId, ...(skuIds ? { sku_ids: skuIds } : {}) };
    scope.tx.notify(STOCK_RAISED_CHANNEL, JSON.stringify(notice));
  }
}
