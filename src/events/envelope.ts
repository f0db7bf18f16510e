/** The event envelope, as delivered to consumers, webhooks and Kafka. */
import type { EventType } from '../contracts/events';

export { EVENT_TYPES, type EventType } from '../contracts/events';

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
  /** Ordering key (an order id, or `hub_id:sku_id` for a stock level): events of one key are handled in order. */
  key: string;
  /** The data as the outbox stores it (JSON text), when the reader was asked not to parse it (then `data` is empty). */
  data_json?: string;
}
