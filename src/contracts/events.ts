/**
 * The event catalogue: every event type the log carries and the data each one holds, owned by
 * neither side. The outbox writer takes only these shapes (events/outbox.ts), consumers read
 * them, and the webhook catalogue offers exactly these types.
 *
 * Order events are keyed by order id; inventory events by `hub_id:sku_id` (levels), order id
 * (reservations) or hold id, so each key's events are handled in the order they were written.
 */
import type { Hold, Reservation, SettleAction } from './inventory';

export const ORDER_EVENT_TYPES = [
  'order.created',
  'order.updated',
  'order.deleted',
  'delivery.shipped',
  'delivery.delivered',
  'delivery.cancelled',
  'return.received',
] as const;
export const INVENTORY_EVENT_TYPES = [
  'inventory.level_changed',
  'reservation.released',
  'hold.created',
  'hold.released',
  'hold.expired',
  'hold.converted',
] as const;
export const EVENT_TYPES = [...ORDER_EVENT_TYPES, ...INVENTORY_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An order as events carry it (the OMS's GET /orders/:id shape; only what consumers rely on is named). */
export interface OrderSnapshot {
  id: string;
  status: string;
}

/** A delivery (a shipment of an order's lines from one hub) or a return, as events carry it. */
export interface DeliverySnapshot {
  id: string;
  status: string;
}

/** Units of an order's reservation an event asks IMS to settle as one operation (hubs and SKUs by id). */
export interface StockSettlement {
  operation_id: string;
  action: SettleAction;
  items: { hub_id: string; sku_id: string; quantity: number }[];
}

/** One stock row's figures. */
export interface LevelFigures {
  on_hand: number;
  reserved: number;
  /** Units under active holds. */
  held: number;
  /** on_hand − reserved − held. */
  available: number;
}

/** One ledger row behind a level change. */
export interface LevelChangeCause {
  reason: string;
  order_id: string | null;
  operation_id: string | null;
  hold_id: string | null;
  /** The change of on_hand, of reserved and of held. */
  on_hand: number;
  reserved: number;
  held: number;
}

/** A stock row's level moved: its figures before and after one transaction, and the ledger rows that moved it. */
export interface InventoryLevelChanged {
  hub_id: string;
  hub: string;
  sku_id: string;
  sku: string;
  before: LevelFigures;
  after: LevelFigures;
  /** The ledger reason (reservation, release, commit, return, count, …); `mixed` when the transaction had several. */
  reason: string;
  changes: LevelChangeCause[];
}

/** The data each event type carries. */
export interface EventDataMap {
  'order.created': { order: OrderSnapshot };
  /** `allocation`: the hub each line was reserved at, and why, when the order was just reserved. */
  /**
   * `release_stock`: the order left on_hold by a user's cancel; whatever IMS may hold for it (the
   * finalizer may have reserved it a moment before) goes back.
   */
  'order.updated': { order: OrderSnapshot; previous_status: string; allocation?: unknown[]; release_stock?: true };
  'order.deleted': { order: OrderSnapshot };
  'delivery.shipped': { order_id: string; delivery: DeliverySnapshot; stock?: StockSettlement };
  'delivery.delivered': { order_id: string; delivery: DeliverySnapshot };
  'delivery.cancelled': { order_id: string; delivery: DeliverySnapshot; stock?: StockSettlement };
  'return.received': { order_id: string; return: { id: string }; stock?: StockSettlement };
  'inventory.level_changed': InventoryLevelChanged;
  /** Every unit the reservation still held went back to stock; `reservation` is as it is after. */
  'reservation.released': { order_id: string; reservation: Reservation };
  /** A hold's life: taken, given back by its owner, given back by the expiry loop, become an order's reservation. `hold` as it is after. */
  'hold.created': { hold: Hold };
  'hold.released': { hold: Hold };
  'hold.expired': { hold: Hold };
  'hold.converted': { hold: Hold };
}

/** An event of one of `types`, with its data typed by the catalogue (a consumer's way in). */
export function isOfType<T extends EventType>(
  event: { type: string; data: unknown },
  types: readonly T[],
): event is { type: T; data: EventDataMap[T] } & typeof event {
  return (types as readonly string[]).includes(event.type);
}

/** An event to append: its type, its ordering key and the data its type carries. */
export type NewEvent = { [T in EventType]: { type: T; key: string; data: EventDataMap[T] } }[EventType];
