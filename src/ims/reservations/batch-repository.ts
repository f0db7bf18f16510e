/** SQL of batch reservations: many orders in one transaction (see batch.ts). */
import type { TenantScope } from '../../db/tenant-scope';
import { lockStockRowsSql, stockKey, type AlongsideWrites, type LockedLevel, type StockKey } from '../stock/ledger';

export interface ClaimRequest {
  order_id: string;
  hub_id: string;
}

/**
 * Steps 1 and 2 in one statement: claims every order id not reserved yet, then locks the stock
 * rows in (hub, sku) order. Answers the claimed ids with their creation time, and the locked
 * levels. The claims are made before any row is locked (Append runs its branches in order), so
 * a batch waiting on another's claim of the same order id holds no stock row meanwhile.
 */
export async function claimAndLock(
  scope: TenantScope,
  claims: readonly ClaimRequest[],
  keys: readonly StockKey[],
): Promise<{ claimed: Map<string, Date>; levels: Map<string, LockedLevel> }> {
  const rows = await scope.query<{ order_id: string | null; created_at: Date | null; hub_id: string; sku_id: string; on_hand: number; reserved: number }>(
    `WITH claimed AS (
       INSERT INTO ims.reservations (tenant_id, order_id, hub_id, status)
       SELECT $1, c.order_id, c.hub_id, 'reserved' FROM unnest($2::text[], $3::uuid[]) AS c(order_id, hub_id)
       ORDER BY c.order_id
       ON CONFLICT DO NOTHING
       RETURNING order_id, created_at
     ), locked AS (${lockStockRowsSql(4, 5)})
     SELECT order_id, created_at, NULL::uuid AS hub_id, NULL::uuid AS sku_id, NULL::int8 AS on_hand, NULL::int8 AS reserved FROM claimed
     UNION ALL
     SELECT NULL, NULL, hub_id, sku_id, on_hand, reserved FROM locked`,
    [claims.map((c) => c.order_id), claims.map((c) => c.hub_id), keys.map((k) => k.hub_id), keys.map((k) => k.sku_id)],
  );
  const claimed = new Map<string, Date>();
  const levels = new Map<string, LockedLevel>();
  for (const r of rows) {
    if (r.order_id !== null) claimed.set(r.order_id, r.created_at!);
    else levels.set(stockKey(r), { hub_id: r.hub_id, sku_id: r.sku_id, on_hand: r.on_hand, reserved: r.reserved });
  }
  return { claimed, levels };
}

/** Step 4's own writes, to ride with the stock changes: the served orders' lines, and the claims of the others dropped. */
export function linesAndUnclaims(lines: readonly { order_id: string; sku_id: string; quantity: number }[], unclaimed: readonly string[]): AlongsideWrites {
  return {
    ctes: `lines AS (
       INSERT INTO ims.reservation_lines (tenant_id, order_id, sku_id, quantity)
       SELECT $1, l.order_id, l.sku_id, l.quantity FROM unnest($10::text[], $11::uuid[], $12::int8[]) AS l(order_id, sku_id, quantity)
     ), unclaimed AS (
       DELETE FROM ims.reservations WHERE tenant_id = $1 AND order_id = ANY($13::text[])
     )`,
    params: [lines.map((l) => l.order_id), lines.map((l) => l.sku_id), lines.map((l) => l.quantity), unclaimed],
  };
}
