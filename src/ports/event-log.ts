/**
 * EventLog port: consume the order events in order, as a consumer group, at least once.
 * Embedded: the outbox table with committed offsets (adapters/postgres). Scale-out: Kafka,
 * fed by the outbox relay. Handlers must be idempotent: a batch can be delivered again after
 * a crash between handling it and committing its offset.
 */
import type { EventType, LoggedEvent } from '../events/envelope';

export type BatchHandler = (events: LoggedEvent[]) => Promise<void>;

export interface Subscription {
  /** Handles every event visible now, then resolves (tests run consumers to quiescence). */
  drain(): Promise<void>;
  /** Stops after the batch in hand; resolves when stopped. */
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Only these types reach the handler (default: every type). The group's position still moves
   * past the others; what the handler never needs is not read whole or not read at all.
   */
  types?: readonly EventType[];
}

export interface EventLog {
  subscribe(group: string, handler: BatchHandler, options?: SubscribeOptions): Subscription;
}
