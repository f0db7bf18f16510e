/** SQL of batch reservations: many orders in one transaction (see batch.ts). */
import type { TenantScope } from '../../db/tenant-scope';
import { lockStockRowsSql, stockKey, uniqueKeys, type AlongsideWrites, type LockedLevel, type StockKey } from '../stock/ledger';
import type { PlannedLine } from './lines';
import type { AllocatedLine, HubChoice } from './allocation';

/**
 * The stock rows to lock: the named (hub, sku) keys (the uuid[] parameters numbered `hubs` and
 * hubs + 1), and every hub's row of the SKUs of lines without a hub (hubs + 2), which allocation
 * may take from. Without such lines it is the plain keyed lock.
 */
const lockSql = (withOpenSkus: boolean, hubs: number) =>
  withOpenSkus
    ? `SELECT hub_id, sku_id, on_hand, reserved, held FROM ims.stock_levels
       WHERE tenant_id = $1 AND (hub_id, sku_id) IN (
         SELECT * FROM unnest($${hubs}::uuid[], $${hubs + 1}::uuid[])
         UNION SELECT hub_id, sku_id FROM ims.stock_levels WHERE tenant_id = $1 AND sku_id = ANY($${hubs + 2}::uuid[]))
       ORDER BY hub_id, sku_id
       FOR UPDATE`
    : lockStockRowsSql(hubs, hubs + 1);

const lockParams = (keys: readonly StockKey[], openSkus: readonly string[]) => [
  keys.map((k) => k.hub_id),
  keys.map((k) => k.sku_id),
  ...(openSkus.length > 0 ? [openSkus] : []),
];

/** Locks what allocating lines may take from (see lockSql), in (hub, sku) order: a hold's way in. */
export async function lockForAllocation(scope: TenantScope, keys: readonly StockKey[], openSkus: readonly string[]): Promise<Map<string, LockedLevel>> {
  const rows = await scope.query<LockedLevel>(lockSql(openSkus.length > 0, 2), lockParams(keys, openSkus));
  return new Map(rows.map((r) => [stockKey(r), r]));
}

/**
 * Steps 1 and 2 in one statement: claims every order id not reserved yet, then locks the stock
 * rows in (hub, sku) order. Answers the claimed ids with their creation time, and the locked
 * levels. The claims are made before any row is locked (Append runs its branches in order), so
 * a batch waiting on another's claim of the same order id holds no stock row meanwhile.
 */
export async function claimAndLock(
  scope: TenantScope,
  orderIds: readonly string[],
  keys: readonly StockKey[],
  openSkus: readonly string[],
): Promise<{ claimed: Map<string, Date>; levels: Map<string, LockedLevel> }> {
  const rows = await scope.query<{
    order_id: string | null;
    created_at: Date | null;
    hub_id: string;
    sku_id: string;
    on_hand: number;
    reserved: number;
    held: number;
  }>(
    `WITH claimed AS (
       INSERT INTO ims.reservations (tenant_id, order_id, status)
       SELECT $1, c.order_id, 'reserved' FROM unnest($2::text[]) AS c(order_id)
       ORDER BY c.order_id
       ON CONFLICT DO NOTHING
       RETURNING order_id, created_at
     ), locked AS (${lockSql(openSkus.length > 0, 3)})
     SELECT order_id, created_at, NULL::uuid AS hub_id, NULL::uuid AS sku_id, NULL::int8 AS on_hand, NULL::int8 AS reserved, NULL::int8 AS held FROM claimed
     UNION ALL
     SELECT NULL, NULL, hub_id, sku_id, on_hand, reserved, held FROM locked`,
    [orderIds, ...lockParams(keys, openSkus)],
  );
  const claimed = new Map<string, Date>();
  const levels = new Map<string, LockedLevel>();
  for (const r of rows) {
    if (r.order_id !== null) claimed.set(r.order_id, r.created_at!);
    else levels.set(stockKey(r), { hub_id: r.hub_id, sku_id: r.sku_id, on_hand: r.on_hand, reserved: r.reserved, held: r.held });
  }
  return { claimed, levels };
}

/**
 * What allocating `lines` needs, for a caller that claims nothing first (holds): the rows they
 * may take from (and `more` rows) locked, and the hubs the open lines may be placed at.
 */
export async function lockToAllocate(
  scope: TenantScope,
  lines: readonly PlannedLine[],
  more: readonly StockKey[] = [],
): Promise<{ levels: Map<string, LockedLevel>; hubs: HubChoice[] }> {
  const openSkus = [...new Set(lines.filter((l) => !l.hub).map((l) => l.sku_id))];
  const named = lines.flatMap((l) => (l.hub ? [{ hub_id: l.hub.id, sku_id: l.sku_id }] : []));
  const levels = await lockForAllocation(scope, uniqueKeys([...named, ...more]), openSkus);
  const hubs = openSkus.length > 0 ? await hubChoices(scope, [...new Set([...levels.values()].map((l) => l.hub_id))]) : [];
  return { levels, hubs };
}

/** Hubs allocation may choose among, in the order it tries them: priority, then code. */
export function hubChoices(scope: TenantScope, hubIds: readonly string[]): Promise<HubChoice[]> {
  return scope.query<HubChoice>('SELECT id, code, priority FROM ims.hubs WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY priority, code', [hubIds]);
}

/** A reservation line's columns, as the lines CTE unnests them. */
const LINE_COLUMNS = [
  ['order_id', 'text'],
  ['hub_id', 'uuid'],
  ['sku_id', 'uuid'],
  ['quantity', 'int8'],
  ['allocation', 'text'],
] as const;

/** Step 4's own writes, to ride with the stock changes: the served orders' lines, and the claims of the others dropped. */
export function linesAndUnclaims(lines: readonly (AllocatedLine & { order_id: string })[], unclaimed: readonly string[]): AlongsideWrites {
  return (params) => {
    const insertLines = `lines AS (
       INSERT INTO ims.reservation_lines (tenant_id, order_id, hub_id, sku_id, quantity, allocation)
       SELECT $1, l.order_id, l.hub_id, l.sku_id, l.quantity, l.allocation
       FROM ${params.unnest(lines, LINE_COLUMNS)} AS l(order_id, hub_id, sku_id, quantity, allocation)
     )`;
    // Only when some order went short: a DELETE with nothing to delete still plans (and may scan).
    if (unclaimed.length === 0) return insertLines;
    return `${insertLines}, unclaimed AS (
       DELETE FROM ims.reservations WHERE tenant_id = $1 AND order_id = ANY(${params.add(unclaimed, 'text[]')})
     )`;
  };
}
