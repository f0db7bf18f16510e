/** SQL of batch reservations: many orders in one transaction (see batch.ts). */
import type { TenantScope } from '../../db/tenant-scope';

export interface ClaimRequest {
  order_id: string;
  hub_id: string;
}

/** Claims every order id not reserved yet; answers the claimed ids with their creation time. */
export async function claimMany(scope: TenantScope, claims: readonly ClaimRequest[]): Promise<Map<string, Date>> {
  const rows = await scope.query<{ order_id: string; created_at: Date }>(
    `INSERT INTO ims.reservations (tenant_id, order_id, hub_id, status)
     SELECT $1, c.order_id, c.hub_id, 'reserved' FROM unnest($2::text[], $3::uuid[]) AS c(order_id, hub_id)
     ORDER BY c.order_id
     ON CONFLICT DO NOTHING
     RETURNING order_id, created_at`,
    [claims.map((c) => c.order_id), claims.map((c) => c.hub_id)],
  );
  return new Map(rows.map((r) => [r.order_id, r.created_at]));
}

/** Gives up claims of orders that could not be served (in the same transaction that made them). */
export async function unclaim(scope: TenantScope, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await scope.query('DELETE FROM ims.reservations WHERE tenant_id = $1 AND order_id = ANY($2::text[])', [orderIds]);
}

export async function insertLines(scope: TenantScope, lines: readonly { order_id: string; sku_id: string; quantity: number }[]): Promise<void> {
  if (lines.length === 0) return;
  await scope.query(
    `INSERT INTO ims.reservation_lines (tenant_id, order_id, sku_id, quantity)
     SELECT $1, l.order_id, l.sku_id, l.quantity FROM unnest($2::text[], $3::uuid[], $4::int8[]) AS l(order_id, sku_id, quantity)`,
    [lines.map((l) => l.order_id), lines.map((l) => l.sku_id), lines.map((l) => l.quantity)],
  );
}
