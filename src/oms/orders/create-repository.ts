/**
 * SQL of creating orders with their order.created events: one statement for orders taken by
 * the API (insertOrdersWithEvents), COPY for a CSV batch (copyOrdersWithEvents), and the
 * look-ups a batch needs first. Every statement is tenant-scoped ($1).
 */
import { copyText } from '../../db/copy-text';
import type { TenantScope, TenantTx } from '../../db/tenant-scope';
import { newId } from '../../shared/ids';
import type { OrderCustomer, OrderItem } from './model';

export interface NewOrder {
  id: string;
  reference: string;
  hub_id: string | null;
  hub: string | null;
  seller_id: string | null;
  seller: string | null;
  items: OrderItem[];
  total_amount: string;
  currency: string;
  shipping_address: unknown;
  order_date: string | null;
  source: 'api' | 'csv';
  upload_id: string | null;
  hold_id?: string | null;
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

const INSERT_ORDERS_WITH_EVENTS = `WITH input AS (
     -- One JSON parameter for the whole batch: far cheaper to encode than a parameter array per column.
     SELECT * FROM json_to_recordset($2::json)
       AS i(n int, customer_id uuid, customer_name text, customer_email text, id uuid, reference text, hub_id uuid, hub text,
            seller_id uuid, seller text, items jsonb, total_amount numeric, currency text, shipping_address jsonb,
            order_date timestamptz, source text, upload_id uuid, hold_id uuid, created_at timestamptz, event_id uuid, event jsonb)
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
                             currency, shipping_address, order_date, status, source, upload_id, hold_id, created_at, updated_at)
     SELECT $1, i.id, i.reference, c.id, i.hub_id, i.hub, i.seller_id, i.seller, i.items, i.total_amount,
            i.currency, i.shipping_address, i.order_date, 'on_hold', i.source, i.upload_id, i.hold_id, i.created_at, i.created_at
     FROM input i LEFT JOIN customer c ON c.n = i.n
     WHERE c.id IS NOT NULL OR (i.customer_id IS NULL AND i.customer_email IS NULL)
     ORDER BY i.n
     -- A reference taken, or a hold another order was placed from: skipped, not an error (one
     -- order must not fail the others of its group commit).
     ON CONFLICT DO NOTHING
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
   ORDER BY i.n`;

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
  const rows = await scope.query<{ n: number; id: string | null; name: string | null; email: string | null; inserted: boolean }>(INSERT_ORDERS_WITH_EVENTS, [
    JSON.stringify(
      batch.map((x, n) => ({
        n,
        customer_id: x.customer.id ?? null,
        customer_name: x.customer.name ?? null,
        customer_email: x.customer.email ?? null,
        ...x.order,
        shipping_address: x.order.shipping_address ?? null,
        // Made here rather than by the column default: the SQL uuid_generate_v7() costs ~5 µs a row.
        event_id: newId(),
        event: x.event,
      })),
    ),
  ]);
  return rows.map((r) => ({
    ...(r.id ? { customer: { id: r.id, name: r.name!, email: r.email! } } : {}),
    inserted: r.inserted,
  }));
}

const ORDER_COLUMNS = [
  'tenant_id',
  'id',
  'reference',
  'customer_id',
  'hub_id',
  'hub',
  'seller_id',
  'seller',
  'items',
  'total_amount',
  'currency',
  'shipping_address',
  'order_date',
  'status',
  'source',
  'upload_id',
  'created_at',
  'updated_at',
] as const;
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
    orders.push([
      tenantId,
      order.id,
      order.reference,
      customer?.id,
      order.hub_id,
      order.hub,
      order.seller_id,
      order.seller,
      order.items,
      order.total_amount,
      order.currency,
      order.shipping_address === undefined || order.shipping_address === null ? null : JSON.stringify(order.shipping_address),
      order.order_date,
      'on_hold',
      order.source,
      order.upload_id,
      order.created_at,
      order.created_at,
    ]);
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
export async function ensureCustomersByEmail(scope: TenantScope, people: readonly { name: string; email: string }[]): Promise<Map<string, OrderCustomer>> {
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
