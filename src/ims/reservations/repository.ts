/** SQL of reservations. Stock movements go through ../stock/ledger.ts. */
import type { TenantScope } from '../../db/tenant-scope';

import type { ReservationStatus } from '../../contracts/inventory';

export type { ReservationStatus };

export interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  created_at: Date;
  updated_at: Date;
}

/** A reservation line: units of a SKU held at a hub, and how many of them have left (committed) or gone back (released). */
export interface ReservationLine {
  hub_id: string;
  sku_id: string;
  quantity: number;
  committed: number;
  released: number;
  allocation: string | null;
}

/** A number of units of a SKU at a hub: what a settlement moves. */
export interface LineUnits {
  hub_id: string;
  sku_id: string;
  quantity: number;
}

const LINES_OF = `COALESCE((SELECT json_agg(json_build_object('hub_id', l.hub_id, 'sku_id', l.sku_id, 'quantity', l.quantity,
                    'committed', l.committed, 'released', l.released, 'allocation', l.allocation) ORDER BY l.hub_id, l.sku_id)
                  FROM ims.reservation_lines l WHERE l.tenant_id = r.tenant_id AND l.order_id = r.order_id), '[]')`;

export async function findReservation(scope: TenantScope, orderId: string): Promise<(ReservationRow & { lines: ReservationLine[] }) | undefined> {
  const rows = await scope.query<ReservationRow & { lines: ReservationLine[] }>(
    `SELECT r.order_id, r.status, r.created_at, r.updated_at, ${LINES_OF} AS lines
     FROM ims.reservations r WHERE r.tenant_id = $1 AND r.order_id = $2`,
    [orderId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const count = (n: unknown) => Number(n);
  return {
    ...row,
    lines: row.lines.map((l) => ({ ...l, quantity: count(l.quantity), committed: count(l.committed), released: count(l.released) })),
  };
}

/**
 * Closes a whole reservation: moves it from `reserved` to `status`, and settles every unit still
 * held the same way. Answers the units settled, or undefined when it was not `reserved` (or does
 * not exist). The reservation's row lock, taken first, serializes every settlement of one order,
 * so the held units read by the second statement are current.
 */
export async function closeReservation(scope: TenantScope, orderId: string, status: 'released' | 'committed'): Promise<LineUnits[] | undefined> {
  if ((await lockReservation(scope, orderId)) !== 'reserved') return undefined;
  const settled = await scope.query<LineUnits>(
    `WITH held AS (
       SELECT hub_id, sku_id, quantity - committed - released AS units FROM ims.reservation_lines
       WHERE tenant_id = $1 AND order_id = $2 AND committed + released < quantity
     ), settled AS (
       UPDATE ims.reservation_lines l
       SET committed = CASE WHEN $3 = 'committed' THEN l.quantity - l.released ELSE l.committed END,
           released = CASE WHEN $3 = 'released' THEN l.quantity - l.committed ELSE l.released END
       FROM held h
       WHERE l.tenant_id = $1 AND l.order_id = $2 AND l.hub_id = h.hub_id AND l.sku_id = h.sku_id
       RETURNING l.hub_id, l.sku_id, h.units AS quantity
     )
     SELECT hub_id, sku_id, quantity FROM settled ORDER BY hub_id, sku_id`,
    [orderId, status],
  );
  await scope.query('UPDATE ims.reservations SET status = $3, updated_at = now() WHERE tenant_id = $1 AND order_id = $2', [orderId, status]);
  return settled.map((u) => ({ ...u, quantity: Number(u.quantity) }));
}

/**
 * Claims a settlement by its id (a shipment, a cancelled delivery, a return). Answers true the
 * first time; false when it was made before, for the same order and action (a repeat, to be
 * answered without changing anything); throws on an id used for another order or action.
 */
export async function claimOperation(scope: TenantScope, op: { operation_id: string; order_id: string; action: string }): Promise<boolean> {
  const rows = await scope.query<{ claimed: boolean; order_id: string; action: string }>(
    `WITH claimed AS (
       INSERT INTO ims.reservation_operations (tenant_id, operation_id, order_id, action) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING order_id, action
     )
     SELECT true AS claimed, order_id, action FROM claimed
     UNION ALL
     SELECT false, order_id, action FROM ims.reservation_operations WHERE tenant_id = $1 AND operation_id = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`,
    [op.operation_id, op.order_id, op.action],
  );
  const row = rows[0];
  if (!row) return false; // claimed by a transaction that has not committed: it serializes on the key next time
  if (!row.claimed && (row.order_id !== op.order_id || row.action !== op.action)) throw new OperationMismatch(row.order_id, row.action);
  return row.claimed;
}

export class OperationMismatch extends Error {
  constructor(
    readonly orderId: string,
    readonly action: string,
  ) {
    super(`operation already used for ${action} of order ${orderId}`);
  }
}

/** Locks the reservation row (every settlement of an order serializes here); answers its status. */
export async function lockReservation(scope: TenantScope, orderId: string): Promise<ReservationStatus | undefined> {
  const rows = await scope.query<{ status: ReservationStatus }>('SELECT status FROM ims.reservations WHERE tenant_id = $1 AND order_id = $2 FOR UPDATE', [
    orderId,
  ]);
  return rows[0]?.status;
}

/**
 * Settles units of held lines (`committed` or `released` rises); answers how many of the given
 * lines had that many units still held and were settled (the caller rolls back unless all).
 */
export async function settleLines(scope: TenantScope, orderId: string, action: 'commit' | 'release', units: readonly LineUnits[]): Promise<number> {
  const rows = await scope.query(
    `UPDATE ims.reservation_lines l
     SET committed = l.committed + CASE WHEN $3 = 'commit' THEN u.quantity ELSE 0 END,
         released = l.released + CASE WHEN $3 = 'release' THEN u.quantity ELSE 0 END
     FROM unnest($4::uuid[], $5::uuid[], $6::int8[]) AS u(hub_id, sku_id, quantity)
     WHERE l.tenant_id = $1 AND l.order_id = $2 AND l.hub_id = u.hub_id AND l.sku_id = u.sku_id
       AND l.quantity - l.committed - l.released >= u.quantity
     RETURNING 1`,
    [orderId, action, units.map((u) => u.hub_id), units.map((u) => u.sku_id), units.map((u) => u.quantity)],
  );
  return rows.length;
}

/** Once no unit is held any more, the reservation is closed: committed if any unit shipped, else released. */
/** Closes a reservation none of whose units are held any more; answers its new status, or undefined when it stays open. */
export async function closeIfSettled(scope: TenantScope, orderId: string): Promise<ReservationStatus | undefined> {
  const [row] = await scope.query<{ status: ReservationStatus }>(
    `UPDATE ims.reservations r
     SET status = CASE WHEN EXISTS (SELECT 1 FROM ims.reservation_lines l WHERE l.tenant_id = $1 AND l.order_id = $2 AND l.committed > 0)
                       THEN 'committed' ELSE 'released' END,
         updated_at = now()
     WHERE r.tenant_id = $1 AND r.order_id = $2 AND r.status = 'reserved'
       AND NOT EXISTS (SELECT 1 FROM ims.reservation_lines l WHERE l.tenant_id = $1 AND l.order_id = $2 AND l.committed + l.released < l.quantity)
     RETURNING r.status`,
    [orderId],
  );
  return row?.status;
}

/** SKU and hub codes for ids (responses name them by code; deleted ones by id). */
export async function codesOf(scope: TenantScope, skuIds: readonly string[], hubIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await scope.query<{ id: string; code: string }>(
    `SELECT id, code FROM ims.skus WHERE tenant_id = $1 AND id = ANY($2::uuid[])
     UNION ALL SELECT id, code FROM ims.hubs WHERE tenant_id = $1 AND id = ANY($3::uuid[])`,
    [skuIds, hubIds],
  );
  return new Map(rows.map((r) => [r.id, r.code]));
}
