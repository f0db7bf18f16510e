/** The order as stored and as answered. */
import type { OrderStatus } from './lifecycle';

export interface OrderItem {
  sku: string;
  sku_id: string;
  name?: string;
  quantity: number;
  unit_price: string;
  /** The line's own hub, when it names one (else the order's hub, else allocated). */
  hub?: string;
  hub_id?: string;
}

export const DELIVERY_STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What leaves one hub for an order (seed D's DELIVERY). */
export interface Delivery {
  id: string;
  order_id: string;
  hub: string;
  status: DeliveryStatus;
  items: { sku: string; quantity: number }[];
  tracking_number: string | null;
  /** The pending delivery a partial shipment split this one off. */
  split_from: string | null;
  shipped_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const RETURN_DISPOSITIONS = ['restock', 'damaged'] as const;
export type ReturnDisposition = (typeof RETURN_DISPOSITIONS)[number];

/** Units that came back; each line names the hub it shipped from. */
export interface OrderReturn {
  id: string;
  order_id: string;
  reason: string | null;
  items: { sku: string; hub: string; quantity: number; disposition: ReturnDisposition }[];
  created_at: Date;
}

/** A line that stock could not cover when the order was last tried. */
export interface OrderShortage {
  sku: string;
  /** Absent for a line to be allocated (available then counts every hub). */
  hub?: string;
  requested: number;
  available: number;
}

/** Why an order on_hold waits, and what happens next, for people reading it. */
export const WAITING_FOR_STOCK = 'insufficient_stock';

/** A row of oms.orders joined with its customer. */
export interface OrderRow {
  id: string;
  reference: string;
  tenant_id: string;
  /** The default hub of the order's lines; null: lines without their own hub are allocated. */
  hub: string | null;
  hub_id: string | null;
  seller: string | null;
  seller_id: string | null;
  items: OrderItem[];
  total_amount: string;
  currency: string;
  shipping_address: string | object | null;
  order_date: Date;
  status: OrderStatus;
  status_reason: string | null;
  shortages?: OrderShortage[] | null;
  source: 'api' | 'csv';
  upload_id: string | null;
  hold_id?: string | null;
  created_at: Date;
  updated_at: Date;
  /** Null for an order without a customer (CSV layouts without customer columns). */
  customer_id: string | null;
  customer_name: string | null;
  customer_email: string | null;
}

/** An order's customer as orders and their events show it. */
export interface OrderCustomer {
  id: string;
  name: string;
  email: string;
}

export interface Order {
  id: string;
  reference: string;
  tenant_id: string;
  seller?: string;
  hub?: string;
  customer?: OrderCustomer;
  items: { sku: string; name?: string; quantity: number; unit_price: string; hub?: string }[];
  total_amount: string;
  currency: string;
  shipping_address?: string | object;
  order_date: Date;
  status: OrderStatus;
  status_reason?: string;
  /** On an order waiting for stock: each line short, with what was asked and what was there. */
  shortages?: OrderShortage[];
  source: 'api' | 'csv';
  upload_id?: string;
  /** The hold the order was placed from (its units became the reservation). */
  hold_id?: string;
  created_at: Date;
  updated_at: Date;
  /** On GET /orders/:id: what leaves each hub. */
  deliveries?: Delivery[];
}

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    reference: row.reference,
    tenant_id: row.tenant_id,
    ...(row.seller ? { seller: row.seller } : {}),
    ...(row.hub ? { hub: row.hub } : {}),
    ...(row.customer_id ? { customer: { id: row.customer_id, name: row.customer_name!, email: row.customer_email! } } : {}),
    items: row.items.map(({ sku_id: _skuId, hub_id: _hubId, ...item }) => item),
    total_amount: row.total_amount,
    currency: row.currency,
    ...(row.shipping_address !== null && row.shipping_address !== undefined ? { shipping_address: row.shipping_address } : {}),
    order_date: row.order_date,
    status: row.status,
    ...(row.status_reason ? { status_reason: row.status_reason } : {}),
    ...(row.shortages ? { shortages: row.shortages } : {}),
    source: row.source,
    ...(row.upload_id ? { upload_id: row.upload_id } : {}),
    ...(row.hold_id ? { hold_id: row.hold_id } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
