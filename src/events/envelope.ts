/** The event envelope, as delivered to consumers, webhooks and Kafka. */
export const EVENT_TYPES = [
  'order.created',
  'order.updated',
  'order.deleted',
  'delivery.shipped',
  'delivery.delivered',
  'delivery.cancelled',
  'return.received',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventEnvelope<D = Record<string, unknown>> {
  id: string;
  type: EventType;
  tenant_id: string;
  occurred_at: Date;
  data: D;
}

/** An event as read from the log: the envelope plus its position and partition key. */
export interface LoggedEvent extends EventEnvelope {
  seq: number;
  tx_id: string;
  /** Ordering key (the order id): events of one key are handled in order. */
  key: string;
  /** The data as the outbox stores it (JSON text), when the reader was asked not to parse it (then `data` is empty). */
  data_json?: string;
}
