/**
 * The baselines' hand-written reserve, inside a transaction the caller opened on a raw `pg`
 * client: claim the order with its lines, then one conditional UPDATE per line (in the order
 * given) with its ledger row. Answers false when a line is short (the caller rolls back).
 */
import type pg from 'pg';

export async function rawReserveInTransaction(
  client: pg.PoolClient,
  tenantId: string,
  orderId: string,
  hubId: string,
  lines: readonly { sku_id: string; quantity: number }[],
): Promise<boolean> {
  await client.query(
    `WITH c AS (INSERT INTO ims.reservations (tenant_id, order_id, hub_id, status) VALUES ($1, $2, $3, 'reserved') RETURNING order_id)
     INSERT INTO ims.reservation_lines (tenant_id, order_id, hub_id, sku_id, quantity, allocation)
     SELECT $1, c.order_id, $3, l.sku_id, l.q, 'requested' FROM c, unnest($4::uuid[], $5::int8[]) AS l(sku_id, q)`,
    [tenantId, orderId, hubId, lines.map((l) => l.sku_id), lines.map((l) => l.quantity)],
  );
  for (const line of lines) {
    const updated = await client.query(
      `WITH u AS (
         UPDATE ims.stock_levels SET reserved = reserved + $4, updated_at = now()
         WHERE tenant_id = $1 AND hub_id = $2 AND sku_id = $3 AND on_hand - reserved >= $4
         RETURNING on_hand, reserved)
       INSERT INTO ims.inventory_transactions
         (tenant_id, hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id)
       SELECT $1, $2, $3, 0, $4, on_hand, reserved, 'reserve', $5 FROM u RETURNING 1`,
      [tenantId, hubId, line.sku_id, line.quantity, orderId],
    );
    if (updated.rowCount !== 1) return false;
  }
  return true;
}
