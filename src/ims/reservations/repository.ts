/** SQL of reservations. Stock movements go through ../stock/ledger.ts. */
import type { TenantScope } from '../../db/tenant-scope';

export type ReservationStatus = 'reserved' | 'released' | 'committed';

export interface ReservationRow {
  order_id: string;
  hub_id: string;
  hub: string;
  status: ReservationStatus;
  created_at: Date;
  updated_at: Date;
}

export interface ReservationLine {
  sku_id: string;
  quantity: number;
}

/**
 * Claims the order id: inserts the reservation and its lines unless the order already has one.
 * Returns the claim's creation time, or undefined when it exists. A racing duplicate waits
 * here (primary key) until the first transaction ends, then claims nothing: repeats serialize.
 * Done before any stock row is locked, so a hot SKU's lock is not held during these inserts.
 */
export async function claimReservation(scope: TenantScope, orderId: string, hubId: string, lines: readonly ReservationLine[]): Promise<Date | undefined> {
  const rows = await scope.query<{ created_at: Date }>(
    `WITH claimed AS (
       INSERT INTO ims.reservations (tenant_id, order_id, hub_id, status) VALUES ($1, $2, $3, 'reserved')
       ON CONFLICT DO NOTHING RETURNING order_id, created_at
     ), claimed_lines AS (
       INSERT INTO ims.reservation_lines (tenant_id, order_id, sku_id, quantity)
       SELECT $1, c.order_id, l.sku_id, l.quantity
       FROM claimed c CROSS JOIN unnest($4::uuid[], $5::int8[]) AS l(sku_id, quantity)
     )
     SELECT created_at FROM claimed`,
    [orderId, hubId, lines.map((l) => l.sku_id), lines.map((l) => l.quantity)],
  );
  return rows[0]?.created_at;
}

/**
 * Takes one line's units: a conditional UPDATE that succeeds only while available >= quantity,
 * with its audit row, in one statement. The caller takes lines in sku_id order within one
 * transaction, so row locks are always acquired in the same global order (no deadlocks), and
 * rolls back if any line comes back empty.
 */
export async function takeLine(scope: TenantScope, orderId: string, hubId: string, line: ReservationLine): Promise<boolean> {
  const rows = await scope.query(
    `WITH taken AS (
       UPDATE ims.stock_levels SET reserved = reserved + $4, updated_at = now()
       WHERE tenant_id = $1 AND hub_id = $3 AND sku_id = $5 AND on_hand - reserved >= $4
       RETURNING on_hand, reserved
     )
     INSERT INTO ims.inventory_transactions
       (tenant_id, hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id)
     SELECT $1, $3, $5, 0, $4, on_hand, reserved, 'reserve', $2 FROM taken
     RETURNING 1`,
    [orderId, hubId, line.quantity, line.sku_id],
  );
  return rows.length === 1;
}

/** Current levels of some SKUs at a hub (for naming shortages after a failed reservation). */
export async function levelsOf(scope: TenantScope, hubId: string, skuIds: readonly string[]) {
  return scope.query<{ sku_id: string; on_hand: number; reserved: number }>(
    'SELECT sku_id, on_hand, reserved FROM ims.stock_levels WHERE tenant_id = $1 AND hub_id = $2 AND sku_id = ANY($3::uuid[])',
    [hubId, skuIds],
  );
}

export async function findReservation(scope: TenantScope, orderId: string): Promise<(ReservationRow & { lines: ReservationLine[] }) | undefined> {
  const rows = await scope.query<ReservationRow & { lines: { sku_id: string; quantity: number }[] }>(
    `SELECT r.order_id, r.hub_id, COALESCE(h.code, r.hub_id::text) AS hub, r.status, r.created_at, r.updated_at,
            COALESCE((SELECT json_agg(json_build_object('sku_id', l.sku_id, 'quantity', l.quantity) ORDER BY l.sku_id)
                      FROM ims.reservation_lines l WHERE l.tenant_id = r.tenant_id AND l.order_id = r.order_id), '[]') AS lines
     FROM ims.reservations r
     LEFT JOIN ims.hubs h ON h.tenant_id = r.tenant_id AND h.id = r.hub_id
     WHERE r.tenant_id = $1 AND r.order_id = $2`,
    [orderId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { ...row, lines: row.lines.map((l) => ({ sku_id: l.sku_id, quantity: Number(l.quantity) })) };
}

/**
 * Moves a reservation from `reserved` to `status` and returns its hub and lines; returns
 * undefined when it is not in `reserved` (or does not exist). The row lock taken here makes a
 * concurrent release and commit of the same order exclusive.
 */
export async function closeReservation(
  scope: TenantScope,
  orderId: string,
  status: 'released' | 'committed',
): Promise<{ hub_id: string; lines: ReservationLine[] } | undefined> {
  const rows = await scope.query<{ hub_id: string; sku_id: string; quantity: number }>(
    `WITH closed AS (
       UPDATE ims.reservations SET status = $3, updated_at = now()
       WHERE tenant_id = $1 AND order_id = $2 AND status = 'reserved'
       RETURNING hub_id
     )
     SELECT c.hub_id, l.sku_id, l.quantity
     FROM closed c JOIN ims.reservation_lines l ON l.tenant_id = $1 AND l.order_id = $2
     ORDER BY l.sku_id`,
    [orderId, status],
  );
  if (rows.length === 0) return undefined;
  return { hub_id: rows[0]!.hub_id, lines: rows.map((r) => ({ sku_id: r.sku_id, quantity: r.quantity })) };
}

/** SKU codes for ids (responses name SKUs by code; deleted ones by id). */
export async function skuCodes(scope: TenantScope, skuIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await scope.query<{ id: string; code: string }>('SELECT id, code FROM ims.skus WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [skuIds]);
  return new Map(rows.map((r) => [r.id, r.code]));
}
