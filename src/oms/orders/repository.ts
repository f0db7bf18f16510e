/** SQL of orders. Every statement is tenant-scoped ($1). */
import type { TenantScope } from '../../db/tenant-scope';
import type { OrderStatus } from './lifecycle';
import type { OrderItem, OrderRow } from './model';

const SELECT_ORDER = `
  SELECT o.id, o.reference, o.tenant_id, o.hub, o.hub_id, o.seller, o.seller_id, o.items,
         o.total_amount::text AS total_amount, o.currency, o.shipping_address, o.order_date, o.status,
         o.status_reason, o.source, o.upload_id, o.created_at, o.updated_at,
         c.id AS customer_id, c.name AS customer_name, c.email AS customer_email
  FROM oms.orders o JOIN oms.customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id`;

export interface NewOrder {
  id: string;
  reference: string;
  customer_id: string;
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
  /** An existing customer by id, or — when undefined — found or created by e-mail. */
  id?: string;
  name?: string;
  email?: string;
}

/**
 * Stores an order and its order.created event in ONE statement (one round trip, atomic in
 * autocommit): the customer is found by id, or found or created by e-mail; the order row; the
 * event, whose prepared JSON gets the customer filled in. Answers the customer, or undefined
 * when there is none to attach — an unknown customer id, or a customer created by a concurrent
 * statement this one could not see yet (the caller runs it again: a new statement sees it).
 */
export async function insertOrderWithEvent(
  scope: TenantScope,
  o: NewOrder & { created_at: Date },
  customer: CustomerRef,
  event: Record<string, unknown>,
): Promise<{ id: string; name: string; email: string } | undefined> {
  const rows = await scope.query<{ id: string; name: string; email: string }>(
    `WITH wanted AS (
       SELECT $2::uuid AS id, $3::text AS name, $4::text AS email
     ), found AS (
       SELECT c.id, c.name, c.email FROM oms.customers c, wanted w
       WHERE c.tenant_id = $1 AND (c.id = w.id OR (w.id IS NULL AND lower(c.email) = lower(w.email)))
     ), created AS (
       INSERT INTO oms.customers (tenant_id, name, email)
       SELECT $1, w.name, w.email FROM wanted w WHERE w.id IS NULL AND NOT EXISTS (SELECT 1 FROM found)
       ON CONFLICT (tenant_id, lower(email)) DO NOTHING
       RETURNING id, name, email
     ), customer AS (
       SELECT * FROM found UNION ALL SELECT * FROM created LIMIT 1
     ), inserted AS (
       INSERT INTO oms.orders (tenant_id, id, reference, customer_id, hub_id, hub, seller_id, seller, items, total_amount,
                               currency, shipping_address, order_date, status, source, upload_id, created_at, updated_at)
       SELECT $1, $5, $6, c.id, $7, $8, $9, $10, $11::jsonb, $12::numeric, $13, $14::jsonb, $15::timestamptz, 'on_hold', $16, $17, $18, $18
       FROM customer c
       RETURNING id
     ), event AS (
       INSERT INTO oms.events (tenant_id, type, key, data)
       SELECT $1, 'order.created', i.id::text,
              jsonb_set($19::jsonb, '{order,customer}', jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email))
       FROM inserted i, customer c
     )
     SELECT c.id, c.name, c.email FROM inserted, customer c`,
    [
      customer.id ?? null, customer.name ?? null, customer.email ?? null,
      o.id, o.reference, o.hub_id, o.hub, o.seller_id, o.seller, JSON.stringify(o.items), o.total_amount, o.currency,
      o.shipping_address === undefined ? null : JSON.stringify(o.shipping_address), o.order_date, o.source, o.upload_id,
      o.created_at, JSON.stringify(event),
    ],
  );
  return rows[0];
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
  from?: string;
  to?: string;
  before?: string;
  limit: number;
}

/** Newest first, keyset on the time-ordered id: pages never repeat or skip a row. */
export function listOrders(scope: TenantScope, f: OrderFilter): Promise<OrderRow[]> {
  return scope.query<OrderRow>(
    `${SELECT_ORDER}
     WHERE o.tenant_id = $1
       AND ($2::text IS NULL OR o.status = $2)
       AND ($3::text IS NULL OR o.seller = $3 OR o.seller_id::text = $3)
       AND ($4::text IS NULL OR o.hub = $4 OR o.hub_id::text = $4)
       AND ($5::uuid IS NULL OR o.customer_id = $5::uuid)
       AND ($6::text IS NULL OR o.reference = $6)
       AND ($7::timestamptz IS NULL OR o.created_at >= $7::timestamptz)
       AND ($8::timestamptz IS NULL OR o.created_at < $8::timestamptz)
       AND ($9::uuid IS NULL OR o.id < $9::uuid)
     ORDER BY o.id DESC
     LIMIT $10`,
    [f.status ?? null, f.seller ?? null, f.hub ?? null, f.customer_id ?? null, f.reference ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
  );
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
       UPDATE oms.orders SET status = $4, status_reason = $5, updated_at = now()
       WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = $3
       RETURNING *
     )
     ${SELECT_ORDER.replace('FROM oms.orders o', 'FROM o')}
     ORDER BY o.id`,
    [ids, from, to, reason],
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

export async function countByStatus(scope: TenantScope): Promise<Record<string, number>> {
  const rows = await scope.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int8 AS n FROM oms.orders WHERE tenant_id = $1 GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
