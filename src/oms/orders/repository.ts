/** SQL of reading, moving and deleting orders (creating them: create-repository.ts). Every statement is tenant-scoped ($1). */
import type { Queryable } from '../../db/handle';
import type { TenantScope } from '../../db/tenant-scope';
import type { OrderStatus } from './lifecycle';
import { WAITING_FOR_STOCK, type Delivery, type OrderItem, type OrderReturn, type OrderRow, type OrderShortage } from './model';
import { ORDER_EVENT_TYPES } from '../../contracts/events';

/**
 * An order as the API shows it, with its customer, read from `from` (the table, or a CTE named
 * `o` holding rows an UPDATE or DELETE returned), with any more columns of it named in `more`.
 */
const selectOrder = (from: 'oms.orders o' | 'o' = 'oms.orders o', more: readonly string[] = []) => `
  SELECT o.id, o.reference, o.tenant_id, o.hub, o.hub_id, o.seller, o.seller_id, o.items,
         o.total_amount::text AS total_amount, o.currency, o.shipping_address, o.order_date, o.status,
         o.status_reason, o.shortages, o.source, o.upload_id, o.hold_id, o.created_at, o.updated_at,${more.map((column) => ` o.${column},`).join('')}
         c.id AS customer_id, c.name AS customer_name, c.email AS customer_email
  FROM ${from} LEFT JOIN oms.customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id`;
const SELECT_ORDER = selectOrder();

export async function getOrder(scope: TenantScope, id: string): Promise<OrderRow | undefined> {
  const rows = await scope.query<OrderRow>(`${SELECT_ORDER} WHERE o.tenant_id = $1 AND o.id = $2`, [id]);
  return rows[0];
}

export interface OrderFilter {
  status?: OrderStatus;
  seller?: string;
  hub?: string;
  customer_id?: string;
  reference?: string;
  /** Only these orders (ids that are not UUIDs match nothing). */
  ids?: string[];
  from?: string;
  to?: string;
  before?: string;
  limit: number;
}

const ORDER_FILTER = `
     WHERE o.tenant_id = $1
       AND ($2::text IS NULL OR o.status = $2)
       AND ($3::text IS NULL OR o.seller = $3 OR o.seller_id::text = $3)
       AND ($4::text IS NULL OR o.hub = $4 OR o.hub_id::text = $4
            -- an order matches every hub it ships from
            OR EXISTS (SELECT 1 FROM oms.order_deliveries d
                WHERE d.tenant_id = o.tenant_id AND d.order_id = o.id AND (d.hub = $4 OR d.hub_id::text = $4)))
       AND ($5::uuid IS NULL OR o.customer_id = $5::uuid)
       AND ($6::text IS NULL OR o.reference = $6)
       AND ($7::timestamptz IS NULL OR o.created_at >= $7::timestamptz)
       AND ($8::timestamptz IS NULL OR o.created_at < $8::timestamptz)
       AND ($9::uuid IS NULL OR o.id < $9::uuid)
       AND ($11::uuid[] IS NULL OR o.id = ANY($11::uuid[]))
     ORDER BY o.id DESC
     LIMIT $10`;
const filterParams = (f: OrderFilter) => [
  f.status ?? null,
  f.seller ?? null,
  f.hub ?? null,
  f.customer_id ?? null,
  f.reference ?? null,
  f.from ?? null,
  f.to ?? null,
  f.before ?? null,
  f.limit,
  f.ids ?? null,
];

/**
 * The ids of a page of orders, newest first (keyset on the time-ordered id: pages never repeat or
 * skip a row), each with what its items and address weigh as JSON; no big column is read.
 */
export function listOrderSizes(scope: TenantScope, f: OrderFilter): Promise<{ id: string; json_bytes: number }[]> {
  return scope.query<{ id: string; json_bytes: number }>(`SELECT o.id, o.json_bytes FROM oms.orders o ${ORDER_FILTER}`, filterParams(f));
}

/** These orders, newest first. */
export function getOrders(scope: TenantScope, ids: readonly string[]): Promise<OrderRow[]> {
  return scope.query<OrderRow>(`${SELECT_ORDER} WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) ORDER BY o.id DESC`, [ids]);
}

/**
 * Moves every listed order still in `from` to `to`; answers the moved ones. `reason` replaces
 * the status reason; undefined keeps it. The only statement that writes an order's status
 * (status-changes.ts is its only caller).
 */
export async function updateStatuses(
  scope: TenantScope,
  ids: readonly string[],
  from: OrderStatus,
  to: OrderStatus,
  reason: string | null | undefined,
): Promise<OrderRow[]> {
  return scope.query<OrderRow>(
    `WITH o AS (
       UPDATE oms.orders o SET status = $4, status_reason = CASE WHEN $6::boolean THEN o.status_reason ELSE $5 END, shortages = NULL, updated_at = now()
       FROM unnest($2::uuid[]) AS wanted(id)
       WHERE o.tenant_id = $1 AND o.id = wanted.id AND o.status = $3
       RETURNING o.*
     )
     ${selectOrder('o')}
     ORDER BY o.id`,
    [ids, from, to, reason ?? null, reason === undefined],
  );
}

/**
 * Records why held orders wait (status_reason insufficient_stock and their shortages), for the
 * orders still on_hold whose shortages changed. Answers those, each with `was_waiting`: false
 * the first time, when the change deserves an event.
 */
export async function markWaiting(
  scope: TenantScope,
  waits: readonly { id: string; shortages: OrderShortage[] }[],
): Promise<(OrderRow & { was_waiting: boolean })[]> {
  return scope.query<OrderRow & { was_waiting: boolean }>(
    `WITH input AS (
       SELECT * FROM json_to_recordset($2::json) AS i(id uuid, shortages jsonb)
     ), o AS (
       -- p is the row as it was before this statement: its reason tells a first wait from a retry.
       UPDATE oms.orders o SET status_reason = $3, shortages = i.shortages, updated_at = now()
       FROM input i, oms.orders p
       WHERE o.tenant_id = $1 AND o.id = i.id AND o.status = 'on_hold' AND o.shortages IS DISTINCT FROM i.shortages
         AND p.tenant_id = o.tenant_id AND p.id = o.id
       RETURNING o.*, p.status_reason IS NOT DISTINCT FROM $3 AS was_waiting
     )
     ${selectOrder('o', ['was_waiting'])}
     ORDER BY o.id`,
    [JSON.stringify(waits), WAITING_FOR_STOCK],
  );
}

export async function deleteOrder(scope: TenantScope, id: string, statuses: readonly OrderStatus[]): Promise<OrderRow | undefined> {
  const rows = await scope.query<OrderRow>(
    `WITH o AS (
       DELETE FROM oms.orders WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[]) RETURNING *
     )
     ${selectOrder('o')}`,
    [id, statuses],
  );
  return rows[0];
}

/** Orders created per hour over the last `hours` hours (hours with none are absent). */
export async function countByHour(scope: TenantScope, hours: number): Promise<{ hour: Date; n: number }[]> {
  return scope.query<{ hour: Date; n: number }>(
    `SELECT date_trunc('hour', created_at) AS hour, count(*)::int8 AS n FROM oms.orders
     WHERE tenant_id = $1 AND created_at >= date_trunc('hour', now()) - ($2 - 1) * interval '1 hour'
     GROUP BY 1 ORDER BY 1`,
    [hours],
  );
}

export interface HistoryEntry {
  event_id: string;
  type: string;
  occurred_at: Date;
  status: string | null;
  previous_status: string | null;
  status_reason: string | null;
  shortages: OrderShortage[] | null;
  /** On the event that reserved the order: where each line ships from, and why. */
  allocation: { sku: string; hub: string; quantity: number; reason: string }[] | null;
  delivery: Delivery | null;
  return: OrderReturn | null;
}

/** An order's events in the order they happened: its status changes, deliveries and returns (not the inventory's events under its id). */
export async function orderHistory(scope: TenantScope, orderId: string): Promise<HistoryEntry[]> {
  return scope.query<HistoryEntry>(
    `SELECT id AS event_id, type, occurred_at, data->'order'->>'status' AS status, data->>'previous_status' AS previous_status,
            data->'order'->>'status_reason' AS status_reason, data->'order'->'shortages' AS shortages,
            data->'allocation' AS allocation, data->'delivery' AS delivery, data->'return' AS return
     FROM oms.events WHERE tenant_id = $1 AND key = $2 AND type <> 'inventory.level_changed' AND type = ANY($3::text[]) ORDER BY seq`,
    [orderId, ORDER_EVENT_TYPES],
  );
}

export async function countByStatus(scope: TenantScope): Promise<Record<string, number>> {
  const rows = await scope.query<{ status: string; n: number }>('SELECT status, count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** An order as the finalizer reserves it: its hub and lines. */
export interface HeldOrder {
  id: string;
  tenant_id: string;
  hub: string | null;
  hub_id: string | null;
  items: OrderItem[];
  /** The hold the order was placed from: its units become the reservation. */
  hold_id?: string | null;
}

/** These orders' hubs, lines and statuses (absent: deleted). */
export function findOrderLines(scope: TenantScope, ids: readonly string[]): Promise<(HeldOrder & { status: OrderStatus })[]> {
  return scope.query<HeldOrder & { status: OrderStatus }>(
    'SELECT o.id, o.tenant_id, o.hub, o.hub_id, o.items, o.hold_id, o.status FROM unnest($2::uuid[]) AS wanted(id) JOIN oms.orders o ON o.tenant_id = $1 AND o.id = wanted.id',
    [ids],
  );
}

/**
 * The tenant's orders waiting for stock, oldest first: at one hub and needing one of some SKUs
 * when given (a stock-raised signal), else all of them (the sweep).
 */
export function findWaitingOrders(
  scope: TenantScope,
  filter: { hubId?: string; skuIds?: readonly string[]; exceptIds?: readonly string[]; limit: number },
): Promise<HeldOrder[]> {
  // The reason is a literal (WAITING_FOR_STOCK), so that the partial index orders_waiting_idx serves this.
  return scope.query<HeldOrder>(
    `SELECT id, tenant_id, hub, hub_id, items FROM oms.orders
     WHERE tenant_id = $1 AND status = 'on_hold' AND status_reason = 'insufficient_stock'
       -- Stock at a hub can serve an order of that hub, an order with lines to allocate, or a line naming it.
       AND ($2::uuid IS NULL OR hub_id = $2::uuid OR hub_id IS NULL
            OR EXISTS (SELECT 1 FROM jsonb_array_elements(items) AS i WHERE i->>'hub_id' = $2::text))
       AND ($3::text[] IS NULL OR EXISTS (
             SELECT 1 FROM jsonb_array_elements(items) AS i WHERE i->>'sku_id' = ANY($3::text[])))
       AND ($4::uuid[] IS NULL OR id <> ALL($4::uuid[]))
     ORDER BY id -- time-ordered: oldest first
     LIMIT $5`,
    [filter.hubId ?? null, filter.skuIds ?? null, filter.exceptIds ?? null, filter.limit],
  );
}

/** Every tenant with orders waiting for stock (the finalizer's sweep works across tenants). */
export async function tenantsWithWaitingOrders(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM oms.orders WHERE status = 'on_hold' AND status_reason = 'insufficient_stock'`,
  );
  return rows.map((r) => r.tenant_id);
}

/** The order placed from a hold, if one was. */
export async function orderOfHold(scope: TenantScope, holdId: string): Promise<string | undefined> {
  const rows = await scope.query<{ id: string }>('SELECT id FROM oms.orders WHERE tenant_id = $1 AND hold_id = $2', [holdId]);
  return rows[0]?.id;
}
