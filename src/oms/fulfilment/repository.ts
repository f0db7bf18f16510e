/** SQL of deliveries and returns. Every statement is tenant-scoped ($1). */
import type { TenantScope } from '../../db/tenant-scope';
import type { OrderStatus } from '../orders/lifecycle';
import type { Delivery, DeliveryStatus, OrderReturn, ReturnDisposition } from '../orders/model';

/** A delivery line as stored: the SKU by code (as the order shows it) and by id (as IMS knows it). */
export interface StoredLine {
  sku: string;
  sku_id: string;
  quantity: number;
}

export interface DeliveryRow extends Omit<Delivery, 'items'> {
  hub_id: string;
  items: StoredLine[];
}

export interface StoredReturnLine extends StoredLine {
  hub: string;
  hub_id: string;
  disposition: ReturnDisposition;
}

export interface ReturnRow extends Omit<OrderReturn, 'items'> {
  items: StoredReturnLine[];
}

const DELIVERY_COLUMNS = 'id, order_id, hub_id, hub, status, items, tracking_number, split_from, shipped_at, delivered_at, created_at, updated_at';

/** Locks the order row: every change to an order's deliveries and returns serializes here. Answers its status. */
export async function lockOrder(scope: TenantScope, orderId: string): Promise<OrderStatus | undefined> {
  const rows = await scope.query<{ status: OrderStatus }>('SELECT status FROM oms.orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [orderId]);
  return rows[0]?.status;
}

/** An order's deliveries, oldest first. */
export function deliveriesOf(scope: TenantScope, orderId: string): Promise<DeliveryRow[]> {
  return scope.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM oms.order_deliveries WHERE tenant_id = $1 AND order_id = $2 ORDER BY id`, [orderId]);
}

export interface NewDelivery {
  id: string;
  order_id: string;
  hub_id: string;
  hub: string;
  status: DeliveryStatus;
  items: StoredLine[];
  split_from?: string;
  tracking_number?: string | null;
}

/**
 * New deliveries (one per hub when an order is reserved; a partial shipment's split), answered
 * as stored when `returning` (the finalizer's batches skip reading back thousands of rows).
 */
export async function insertDeliveries(scope: TenantScope, deliveries: readonly NewDelivery[], returning = true): Promise<DeliveryRow[]> {
  if (deliveries.length === 0) return [];
  return scope.query<DeliveryRow>(
    `INSERT INTO oms.order_deliveries (tenant_id, id, order_id, hub_id, hub, status, items, split_from, tracking_number, shipped_at)
     SELECT $1, d.id, d.order_id, d.hub_id, d.hub, d.status, d.items, d.split_from, d.tracking_number,
            CASE WHEN d.status = 'shipped' THEN now() END
     FROM json_to_recordset($2::json) AS d(id uuid, order_id uuid, hub_id uuid, hub text, status text, items jsonb, split_from uuid, tracking_number text)
     ${returning ? `RETURNING ${DELIVERY_COLUMNS}` : ''}`,
    [JSON.stringify(deliveries)],
  );
}

/** Moves deliveries to `status` (their lines set to `items` when given); answers them as they are now. */
export async function updateDeliveries(
  scope: TenantScope,
  changes: readonly { id: string; status: DeliveryStatus; items?: StoredLine[]; tracking_number?: string | null }[],
): Promise<DeliveryRow[]> {
  if (changes.length === 0) return [];
  return scope.query<DeliveryRow>(
    `UPDATE oms.order_deliveries d
     SET status = c.status, items = COALESCE(c.items, d.items), tracking_number = COALESCE(c.tracking_number, d.tracking_number),
         shipped_at = CASE WHEN c.status = 'shipped' THEN now() ELSE d.shipped_at END,
         delivered_at = CASE WHEN c.status = 'delivered' THEN now() ELSE d.delivered_at END,
         updated_at = now()
     FROM json_to_recordset($2::json) AS c(id uuid, status text, items jsonb, tracking_number text)
     WHERE d.tenant_id = $1 AND d.id = c.id
     RETURNING ${DELIVERY_COLUMNS.split(', ')
       .map((c) => `d.${c}`)
       .join(', ')}`,
    [JSON.stringify(changes)],
  );
}

/** An order's returns, oldest first. */
export function returnsOf(scope: TenantScope, orderId: string): Promise<ReturnRow[]> {
  return scope.query<ReturnRow>('SELECT id, order_id, reason, items, created_at FROM oms.order_returns WHERE tenant_id = $1 AND order_id = $2 ORDER BY id', [
    orderId,
  ]);
}

export async function insertReturn(
  scope: TenantScope,
  row: { id: string; order_id: string; reason: string | null; items: StoredReturnLine[] },
): Promise<ReturnRow> {
  const rows = await scope.query<ReturnRow>(
    `INSERT INTO oms.order_returns (tenant_id, id, order_id, reason, items) VALUES ($1, $2, $3, $4, $5::jsonb)
     RETURNING id, order_id, reason, items, created_at`,
    [row.id, row.order_id, row.reason, JSON.stringify(row.items)],
  );
  return rows[0]!;
}
