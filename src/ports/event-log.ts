/**
 * EventLog port: consume the order events in order, as a consumer group, at least once.
 * Embedded: the outbox table with committed offsets (adapters/postgres). Scale-out: Kafka,
 * fed by the outbox relay. Handlers must be idempotent: a batch can be delivered again after
 * a crash between handling it and committing its offset.
 */
import type { LoggedEvent } from '../events/envelope';

export type BatchHandler = (events: LoggedEvent[]) => Promise<void>;

export interface Subscription {
  /** Handles every event visible now, then resolves (tests run consumers to quiescence). */
  drain(): Promise<void>;
  /** Stops after the batch in hand; resolves when stopped. */
  stop(): Promise<void>;
}

export interface EventLog {
  subscribe(group: string, handler: BatchHandler): Subscription;
}
