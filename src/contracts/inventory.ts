/**
 * The inventory port's contract: what the OMS may ask the IMS and what it gets back, owned by
 * neither side. The IMS implements it (in-process or over HTTP); the OMS only ever sees these
 * types, never the IMS's own modules (the lint rule in .oxlintrc.json keeps it so).
 */

export const CATALOG_KINDS = ['seller', 'category', 'hub', 'sku'] as const;
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/** What look-ups return and cache: enough to validate and to name a row. */
export interface CatalogRef {
  id: string;
  code: string;
  name: string;
  seller_id?: string | null;
  category_id?: string | null;
}

export const ALLOCATION_POLICIES = ['single_hub_first', 'priority', 'single_hub_only'] as const;
export type AllocationPolicy = (typeof ALLOCATION_POLICIES)[number];

export interface TenantSettings {
  backorder_policy: 'hold' | 'cancel';
  currency: string;
  allocation: AllocationPolicy;
  /** How long a hold lasts when its request names no expiry, and the longest one may ask for (seconds). */
  hold_expiry_seconds: number;
  hold_expiry_max_seconds: number;
}

/** Orders in one POST /reservations/batch at most: a client with more sends them in turns, oldest first. */
export const MAX_RESERVATIONS_PER_BATCH = 1000;

/** One item of a reservation request: a SKU, how many, and optionally its own hub. */
export interface RequestedItem {
  sku: string;
  quantity: number;
  hub?: string;
}

export interface ReserveInput {
  order_id: string;
  /** The hub of every item that names none; absent: those items are allocated. */
  hub?: string;
  items: RequestedItem[];
  /**
   * With hold_id: reserve only from the hold. When it is not usable the answer is `insufficient`
   * with no shortages and nothing is reserved (the order then takes its turn in the queue).
   */
  hold_only?: boolean;
  /**
   * An active hold of the same units: they become the reservation (held → reserved, in one
   * transaction). A hold that is not active, past its expiry, or holds other units is not used:
   * the order is reserved from available stock like any other.
   */
  hold_id?: string;
}

/** Why a line's units are held at its hub: the request named it, one hub could ship it all, or hub priority. */
export type AllocationReason = 'requested' | 'single_hub' | 'priority';

export type ReservationStatus = 'reserved' | 'released' | 'committed';

export interface ReservationItem {
  sku: string;
  sku_id: string;
  hub: string;
  hub_id: string;
  quantity: number;
  /** Why the units are held at this hub; null on reservations older than allocation. */
  allocation: AllocationReason | null;
  /** Units of this line shipped, and given back. */
  committed: number;
  released: number;
}

export interface Reservation {
  order_id: string;
  /** Present when every line is at one hub. */
  hub?: string;
  status: ReservationStatus;
  items: ReservationItem[];
  created_at: Date;
  updated_at: Date;
}

/** A line stock could not cover. */
export interface Shortage {
  sku: string;
  /** The hub the line named; absent for a line allocation could not place (available: at every hub together). */
  hub?: string;
  requested: number;
  available: number;
}

export type ReserveResult =
  { outcome: 'reserved' | 'replayed'; reservation: Reservation } | { outcome: 'insufficient'; order_id: string; shortages: Shortage[] };

export const SETTLE_ACTIONS = ['commit', 'release', 'restock'] as const;
export type SettleAction = (typeof SETTLE_ACTIONS)[number];

/** Units of a reservation to settle as one operation; hubs and SKUs by code or id. */
export interface SettleInput {
  operation_id: string;
  action: SettleAction;
  items: { hub: string; sku: string; quantity: number }[];
}

export const HOLD_STATUSES = ['active', 'converted', 'released', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** Units of a SKU held at a hub, and why there. */
export interface HoldLine {
  sku: string;
  sku_id: string;
  hub: string;
  hub_id: string;
  quantity: number;
  allocation: AllocationReason | null;
}

/** Stock set aside for a cart or a checkout until `expires_at`: active → converted | released | expired. */
export interface Hold {
  id: string;
  reference: string | null;
  status: HoldStatus;
  expires_at: Date;
  /** The order whose reservation the hold became (converted). */
  order_id: string | null;
  lines: HoldLine[];
  created_at: Date;
  updated_at: Date;
}

/**
 * Whether units held (by a reservation or a hold) are what an order asks for: per SKU the same
 * units in all, and each line that names its hub held there. Both sides name SKUs and hubs by id.
 */
export function sameUnits(
  held: readonly { sku_id: string; hub_id: string; quantity: number }[],
  asked: readonly { sku_id: string; hub_id?: string; quantity: number }[],
): boolean {
  const totals = (pairs: [string, number][]) => {
    const sums = new Map<string, number>();
    for (const [sku, n] of pairs) sums.set(sku, (sums.get(sku) ?? 0) + n);
    return sums;
  };
  const had = totals(held.map((u) => [u.sku_id, u.quantity]));
  const wanted = totals(asked.map((l) => [l.sku_id, l.quantity]));
  // Lines naming one hub and SKU are one demand there (as IMS plans them): summed before the check.
  const atHubs = totals(asked.flatMap((l): [string, number][] => (l.hub_id ? [[`${l.hub_id}/${l.sku_id}`, l.quantity]] : [])));
  const heldAt = totals(held.map((u) => [`${u.hub_id}/${u.sku_id}`, u.quantity]));
  return had.size === wanted.size && [...wanted].every(([sku, n]) => had.get(sku) === n) && [...atHubs].every(([key, n]) => (heldAt.get(key) ?? 0) >= n);
}

export interface InventoryStats {
  skus: number;
  units_on_hand: number;
  units_reserved: number;
  units_held: number;
}
