/** SQL of orders. Every statement is tenant-scoped ($1). */
import { copyText } from '../../db/copy-text';
import type { Queryable } from '../../db/handle';
import type { TenantScope, TenantTx } from '../../db/tenant-scope';
import { newId } from '../../shared/ids';
import type { OrderStatus } from './lifecycle';
import { WAITING_FOR_STOCK, type OrderCustomer, type OrderItem, type OrderRow, type OrderShortage } from './model';

const SELECT_ORDER = `
  SELECT o.id, o.reference, o.tenant_id, o.hub, o.hub_id, o.seller, o.seller_id, o.items,
         o.total_amount::text AS total_amount, o.currency, o.shipping_address, o.order_date, o.status,
         o.status_reason, o.shortages, o.source, o.upload_id, o.created_at, o.updated_at,
         c.id AS customer_id, c.name AS customer_name, c.email AS customer_email
  FROM oms.orders o LEFT JOIN oms.customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id`;

export interface NewOrder {
  id: string;
  reference: string;
  hub_id: string;
  hub: string;
  seller_id: string | null;
  seller: string | null;
  items: OrderItem[];
  total_amount: string;
  currency: string;
  shipping_address: unknown;
  order_date: string | null;
  source: 'api' | 'csv';
  upload_id: string | null;
}

export interface CustomerRef {
  /** An existing customer by id, or found or created by e-mail; neither: an order without a customer. */
  id?: string;
  name?: string;
  email?: string;
}

export interface OrderToInsert {
  order: NewOrder & { created_at: Date };
  customer: CustomerRef;
  /** The order.created event's data; the statement fills in `order.customer`. */
  event: Record<string, unknown>;
}

export interface InsertOutcome {
  /** The customer attached; undefined for an order without one, an unknown customer id, or a
   * customer created by a concurrent statement this one could not see yet (run it again: a new
   * statement sees it). */
  customer?: OrderCustomer;
  /** False when the reference was taken (the order was not stored). */
  inserted: boolean;
}

/**
 * Stores orders with their order.created events in ONE statement (one round trip, atomic in
 * autocommit), for one order or for many created at the same moment:
 *   found / created – each order's customer: by id, or found or created by e-mail (one new
 *                     customer per new e-mail, however many orders name it), or none;
 *   inserted        – the orders; a reference already taken is skipped, not an error, so one
 *                     duplicate does not fail the others;
 *   event           – one order.created per stored order, its prepared JSON given the customer.
 * Answers one outcome per input, in input order.
 */
export async function insertOrdersWithEvents(scope: TenantScope, batch: readonly OrderToInsert[]): Promise<InsertOutcome[]> {
  const rows = await scope.query<{ n: number; id: string | null; name: string | null; email: string | null; inserted: boolean }>(
    `WITH input AS (
       -- One JSON parameter for the whole batch: far cheaper to encode than a parameter array per column.
       SELECT * FROM json_to_recordset($2::json)
         AS i(n int, customer_id uuid, customer_name text, customer_email text, id uuid, reference text, hub_id uuid, hub text,
              seller_id uuid, seller text, items jsonb, total_amount numeric, currency text, shipping_address jsonb,
              order_date timestamptz, source text, upload_id uuid, created_at timestamptz, event_id uuid, event jsonb)
     ), found AS (
       -- Two index look-ups, not one OR-join (that scans every customer per order).
       SELECT i.n, c.id, c.name, c.email FROM input i
       JOIN oms.customers c ON c.tenant_id = $1 AND c.id = i.customer_id
       UNION ALL
       SELECT i.n, c.id, c.name, c.email FROM input i
       JOIN oms.customers c ON c.tenant_id = $1 AND lower(c.email) = lower(i.customer_email)
       WHERE i.customer_id IS NULL
     ), wanted AS (
       SELECT DISTINCT ON (lower(i.customer_email)) i.customer_name, i.customer_email FROM input i
       WHERE i.customer_id IS NULL AND i.customer_email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM found f WHERE f.n = i.n)
       ORDER BY lower(i.customer_email), i.n
     ), created AS (
       INSERT INTO oms.customers (tenant_id, name, email)
       SELECT $1, w.customer_name, w.customer_email FROM wanted w
       ON CONFLICT (tenant_id, lower(email)) DO NOTHING
       RETURNING id, name, email
     ), customer AS (
       SELECT n, id, name, email FROM found
       UNION ALL
       SELECT i.n, c.id, c.name, c.email FROM input i JOIN created c ON lower(c.email) = lower(i.customer_email)
       WHERE i.customer_id IS NULL AND NOT EXISTS (SELECT 1 FROM found f WHERE f.n = i.n)
     ), inserted AS (
       INSERT INTO oms.orders (tenant_id, id, reference, customer_id, hub_id, hub, seller_id, seller, items, total_amount,
                               currency, shipping_address, order_date, status, source, upload_id, created_at, updated_at)
       SELECT $1, i.id, i.reference, c.id, i.hub_id, i.hub, i.seller_id, i.seller, i.items, i.total_amount,
              i.currency, i.shipping_address, i.order_date, 'on_hold', i.source, i.upload_id, i.created_at, i.created_at
       FROM input i LEFT JOIN customer c ON c.n = i.n
       WHERE c.id IS NOT NULL OR (i.customer_id IS NULL AND i.customer_email IS NULL)
       ORDER BY i.n
       ON CONFLICT (tenant_id, reference) DO NOTHING
       RETURNING id
     ), event AS (
       -- The outbox row appendEvents() would write, inlined to keep the whole create one
       -- statement; the OrderWriter sends the wake-up after it.
       INSERT INTO oms.events (id, tenant_id, type, key, data)
       SELECT i.event_id, $1, 'order.created', i.id::text,
              CASE WHEN c.id IS NULL THEN i.event
                   ELSE jsonb_set(i.event, '{order,customer}', jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email)) END
       FROM input i JOIN inserted o ON o.id = i.id LEFT JOIN customer c ON c.n = i.n
       ORDER BY i.n
     )
     SELECT i.n, c.id, c.name, c.email, (o.id IS NOT NULL) AS inserted
     FROM input i LEFT JOIN customer c ON c.n = i.n LEFT JOIN inserted o ON o.id = i.id
     ORDER BY i.n`,
    [JSON.stringify(batch.map((x, n) => ({
      n,
      customer_id: x.customer.id ?? null, customer_name: x.customer.name ?? null, customer_email: x.customer.email ?? null,
      ...x.order,
      shipping_address: x.order.shipping_address ?? null,
      // Made here rather than by the column default: the SQL uuid_generate_v7() costs ~5 µs a row.
      event_id: newId(),
      event: x.event,
    })))],
  );
  return rows.map((r) => ({
    ...(r.id ? { customer: { id: r.id, name: r.name!, email: r.email! } } : {}),
    inserted: r.inserted,
  }));
}

const ORDER_COLUMNS = ['tenant_id', 'id', 'reference', 'customer_id', 'hub_id', 'hub', 'seller_id', 'seller', 'items', 'total_amount',
  'currency', 'shipping_address', 'order_date', 'status', 'source', 'upload_id', 'created_at', 'updated_at'] as const;
const EVENT_COLUMNS = ['id', 'tenant_id', 'type', 'key', 'data'] as const;

/**
 * Stores many orders with their order.created events by COPY, in the caller's transaction: the
 * bulk path of a CSV batch, whose customers are already resolved (ensureCustomersByEmail,
 * findCustomers). A reference already taken fails the whole COPY with a unique violation on
 * orders_reference_unique (the caller validated references; a violation means a concurrent
 * writer took one, and the batch is validated again).
 */
export async function copyOrdersWithEvents(
  scope: TenantTx,
  batch: readonly { order: OrderToInsert['order']; customer?: OrderCustomer; event: Record<string, unknown> }[],
): Promise<void> {
  const { tenantId, tx } = scope;
  const orders: unknown[][] = [];
  const events: unknown[][] = [];
  for (const { order, customer, event } of batch) {
    orders.push([tenantId, order.id, order.reference, customer?.id, order.hub_id, order.hub, order.seller_id, order.seller, order.items, order.total_amount,
      order.currency, order.shipping_address === undefined || order.shipping_address === null ? null : JSON.stringify(order.shipping_address),
      order.order_date, 'on_hold', order.source, order.upload_id, order.created_at, order.created_at]);
    const data = customer ? { ...event, order: { ...(event.order as object), customer } } : event;
    events.push([newId(), tenantId, 'order.created', order.id, data]);
  }
  await tx.copyFrom('oms.orders', ORDER_COLUMNS, copyText(orders));
  await tx.copyFrom('oms.events', EVENT_COLUMNS, copyText(events));
}

/** Which of `references` the tenant's orders already use, and the upload that created each. */
export async function findReferences(scope: TenantScope, references: readonly string[]): Promise<Map<string, string | null>> {
  if (references.length === 0) return new Map();
  const rows = await scope.query<{ reference: string; upload_id: string | null }>(
    'SELECT reference, upload_id FROM oms.orders WHERE tenant_id = $1 AND reference = ANY($2::text[])',
    [references],
  );
  return new Map(rows.map((r) => [r.reference, r.upload_id]));
}

/**
 * The tenant's customers for these people by e-mail (case-insensitive), created where missing,
 * keyed by the e-mail exactly as given. For big batches (a CSV batch): resolving customers in
 * insertOrdersWithEvents joins every order to every new customer, which grows with the square
 * of the batch; here it is one index look-up per address. A customer created concurrently and
 * not yet visible is found by the second look-up, which sees what committed meanwhile.
 */
export async function ensureCustomersByEmail(
  scope: TenantScope,
  people: readonly { name: string; email: string }[],
): Promise<Map<string, OrderCustomer>> {
  const wanted = new Map(people.map((p) => [p.email, p.name]));
  const found = new Map<string, OrderCustomer>();
  const lookUp = async (emails: string[]) => {
    const rows = await scope.query<{ wanted: string; id: string; name: string; email: string }>(
      `SELECT w.email AS wanted, c.id, c.name, c.email FROM unnest($2::text[]) AS w(email)
       JOIN oms.customers c ON c.tenant_id = $1 AND lower(c.email) = lower(w.email)`,
      [emails],
    );
    for (const r of rows) found.set(r.wanted, { id: r.id, name: r.name, email: r.email });
  };
  const missing = () => [...wanted.keys()].filter((email) => !found.has(email));
  if (wanted.size === 0) return found;
  await lookUp([...wanted.keys()]);
  const toCreate = missing();
  if (toCreate.length === 0) return found;
  const created = await scope.query<OrderCustomer>(
    `INSERT INTO oms.customers (tenant_id, name, email)
     SELECT $1, w.name, w.email FROM unnest($2::text[], $3::text[]) AS w(name, email)
     ON CONFLICT (tenant_id, lower(email)) DO NOTHING
     RETURNING id, name, email`,
    [toCreate.map((email) => wanted.get(email)!), toCreate],
  );
  for (const c of created) found.set(c.email, c);
  const stillMissing = missing();
  if (stillMissing.length > 0) await lookUp(stillMissing);
  return found;
}

/** The tenant's customers among `ids`, by id. */
export async function findCustomers(scope: TenantScope, ids: readonly string[]): Promise<Map<string, OrderCustomer>> {
  if (ids.length === 0) return new Map();
  const rows = await scope.query<OrderCustomer>('SELECT id, name, email FROM oms.customers WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

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
       AND ($4::text IS NULL OR o.hub = $4 OR o.hub_id::text = $4)
       AND ($5::uuid IS NULL OR o.customer_id = $5::uuid)
       AND ($6::text IS NULL OR o.reference = $6)
       AND ($7::timestamptz IS NULL OR o.created_at >= $7::timestamptz)
       AND ($8::timestamptz IS NULL OR o.created_at < $8::timestamptz)
       AND ($9::uuid IS NULL OR o.id < $9::uuid)
       AND ($11::uuid[] IS NULL OR o.id = ANY($11::uuid[]))
     ORDER BY o.id DESC
     LIMIT $10`;
const filterParams = (f: OrderFilter) =>
  [f.status ?? null, f.seller ?? null, f.hub ?? null, f.customer_id ?? null, f.reference ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit, f.ids ?? null];

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

/** Moves every listed order still in `from` to `to`; answers the moved ones. */
export async function updateStatuses(
  scope: TenantScope,
  ids: readonly string[],
  from: OrderStatus,
  to: OrderStatus,
  reason: string | null,
): Promise<OrderRow[]> {
  return scope.query<OrderRow>(
    `WITH o AS (
       UPDATE oms.orders o SET status = $4, status_reason = $5, shortages = NULL, updated_at = now()
       FROM unnest($2::uuid[]) AS wanted(id)
       WHERE o.tenant_id = $1 AND o.id = wanted.id AND o.status = $3
       RETURNING o.*
     )
     ${SELECT_ORDER.replace('FROM oms.orders o', 'FROM o')}
     ORDER BY o.id`,
    [ids, from, to, reason],
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
     ${SELECT_ORDER.replace('FROM oms.orders o', 'FROM o').replace('o.updated_at,', 'o.updated_at, o.was_waiting,')}
     ORDER BY o.id`,
    [JSON.stringify(waits), WAITING_FOR_STOCK],
  );
}

export async function deleteOrder(scope: TenantScope, id: string, statuses: readonly OrderStatus[]): Promise<OrderRow | undefined> {
  const rows = await scope.query<OrderRow>(
    `WITH o AS (
       DELETE FROM oms.orders WHERE tenant_id = $1 AND id = $2 AND status = ANY($3::text[]) RETURNING *
     )
     ${SELECT_ORDER.replace('FROM oms.orders o', 'FROM o')}`,
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
}

/** An order's events in the order they happened: its status changes. */
export async function orderHistory(scope: TenantScope, orderId: string): Promise<HistoryEntry[]> {
  return scope.query<HistoryEntry>(
    `SELECT id AS event_id, type, occurred_at, data->'order'->>'status' AS status, data->>'previous_status' AS previous_status,
            data->'order'->>'status_reason' AS status_reason, data->'order'->'shortages' AS shortages
     FROM oms.events WHERE tenant_id = $1 AND key = $2 ORDER BY seq`,
    [orderId],
  );
}

export async function countByStatus(scope: TenantScope): Promise<Record<string, number>> {
  const rows = await scope.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** An order as the finalizer reserves it: its hub and lines. */
export interface HeldOrder {
  id: string;
  tenant_id: string;
  hub: string;
  hub_id: string;
  items: OrderItem[];
}

/** These orders' hubs, lines and statuses (absent: deleted). */
export function findOrderLines(scope: TenantScope, ids: readonly string[]): Promise<(HeldOrder & { status: OrderStatus })[]> {
  return scope.query<HeldOrder & { status: OrderStatus }>(
    'SELECT o.id, o.tenant_id, o.hub, o.hub_id, o.items, o.status FROM unnest($2::uuid[]) AS wanted(id) JOIN oms.orders o ON o.tenant_id = $1 AND o.id = wanted.id',
    [ids],
  );
}

/**
 * The tenant's orders waiting for stock, oldest first: at one hub and needing one of some SKUs
 * when given (a stock-raised signal), else all of them (the sweep).
 */
export function findWaitingOrders(scope: TenantScope, filter: { hubId?: string; skuIds?: readonly string[]; limit: number }): Promise<HeldOrder[]> {
  return scope.query<HeldOrder>(
    `SELECT id, tenant_id, hub, hub_id, items FROM oms.orders
     WHERE tenant_id = $1 AND status = 'on_hold' AND status_reason = $2
       AND ($3::uuid IS NULL OR hub_id = $3::uuid)
       AND ($4::text[] IS NULL OR EXISTS (
             SELECT 1 FROM jsonb_array_elements(items) AS i WHERE i->>'sku_id' = ANY($4::text[])))
     ORDER BY id -- time-ordered: oldest first
     LIMIT $5`,
    [WAITING_FOR_STOCK, filter.hubId ?? null, filter.skuIds ?? null, filter.limit],
  );
}

/** Every tenant with orders waiting for stock (the finalizer's sweep works across tenants). */
export async function tenantsWithWaitingOrders(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM oms.orders WHERE status = 'on_hold' AND status_reason = $1`, [WAITING_FOR_STOCK]);
  return rows.map((r) => r.tenant_id);
}
