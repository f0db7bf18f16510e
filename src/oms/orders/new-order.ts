/**
 * Turns a validated order (from POST /orders or a CSV upload) into what insertOrdersWithEvents
 * stores: the row, its customer reference, and the order.created event's data.
 */
import { newId } from '../../shared/ids';
import type { CatalogRef } from '../../contracts/inventory';
import { formatCents } from '../money';
import { toOrder, type Order, type OrderItem } from './model';
import type { CustomerRef, OrderToInsert } from './create-repository';

export interface OrderDraft {
  reference?: string;
  /** The lines' default hub; absent: allocated when the order is finalized. */
  hub?: CatalogRef;
  seller?: CatalogRef;
  items: OrderItem[];
  totalCents: bigint;
  currency: string;
  shipping_address?: string | object;
  order_date?: Date;
  source: 'api' | 'csv';
  upload_id?: string;
  /** The hold whose units become the order's reservation. */
  hold_id?: string;
  customer: CustomerRef;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** "ORD-" + the whole id in Crockford base32 (26 characters): unique, and sorts like the id. */
export function generatedReference(id: string): string {
  let n = BigInt(`0x${id.replace(/-/g, '')}`);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return `ORD-${out}`;
}

/** The row to insert and the order as the event and the response show it (the customer is filled in by the statement). */
export function prepareOrder(tenantId: string, draft: OrderDraft, now = new Date()): { insert: OrderToInsert; order: Order } {
  const id = newId();
  const orderDate = draft.order_date ?? now;
  const stored = {
    id,
    reference: draft.reference ?? generatedReference(id),
    hub_id: draft.hub?.id ?? null,
    hub: draft.hub?.code ?? null,
    seller_id: draft.seller?.id ?? null,
    seller: draft.seller?.code ?? null,
    items: draft.items,
    total_amount: formatCents(draft.totalCents),
    currency: draft.currency,
    shipping_address: draft.shipping_address,
    order_date: orderDate.toISOString(),
    source: draft.source,
    upload_id: draft.upload_id ?? null,
    ...(draft.hold_id ? { hold_id: draft.hold_id } : {}),
    created_at: now,
  };
  // An explicit row, not a spread of `stored` with fields overridden: that made V8 build a slow
  // dictionary object, and this runs once per CSV row.
  const order = toOrder({
    id,
    reference: stored.reference,
    tenant_id: tenantId,
    hub: stored.hub,
    hub_id: stored.hub_id,
    seller: stored.seller,
    seller_id: stored.seller_id,
    items: draft.items,
    total_amount: stored.total_amount,
    currency: stored.currency,
    shipping_address: draft.shipping_address ?? null,
    order_date: orderDate,
    status: 'on_hold',
    status_reason: null,
    source: draft.source,
    upload_id: stored.upload_id,
    hold_id: draft.hold_id ?? null,
    created_at: now,
    updated_at: now,
    customer_id: null,
    customer_name: null,
    customer_email: null,
  });
  return { insert: { order: stored, customer: draft.customer, event: { order } }, order };
}
