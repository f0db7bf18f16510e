/**
 * The relay role: publishes the outbox (oms.events) to Kafka, in outbox order, and marks what
 * it published by committing its offset (consumer group "kafka-relay" in oms.consumer_offsets)
 * after Kafka has acknowledged the batch. It reads the outbox like any database consumer, so it
 * inherits the lease (one relay publishes at a time, others stand by) and the commit-order
 * horizon (an event is never skipped because its transaction committed late).
 *
 * A crash between Kafka's acknowledgement and the offset commit publishes that batch again:
 * Kafka consumers are idempotent like every other. Publishing is never given up on: a batch
 * that fails is retried until Kafka takes it, never parked.
 */
import { DbEventLog } from '../adapters/postgres/event-log';
import { createKafka, KafkaPublisher } from '../adapters/kafka/event-log';
import type { AppContext } from '../context';
import type { RunningRole } from '../shared/running-role';

export const RELAY_GROUP = 'kafka-relay';

export async function startRelay(ctx: AppContext): Promise<RunningRole> {
  const brokers = ctx.config.kafkaBrokers;
  if (!brokers) {
    ctx.logger.info('relay: KAFKA_BROKERS is not set, so consumers read the outbox directly; nothing to publish');
    return { drain: async () => {}, stop: async () => {} };
  }
  const kafka = createKafka({ brokers, logger: ctx.logger });
  const publisher = new KafkaPublisher(kafka, { orders: ctx.config.kafkaTopic, inventory: ctx.config.kafkaInventoryTopic });
  await publisher.connect();
  const outbox = new DbEventLog(ctx.db, {
    batchSize: 500,
    dataAsText: true, // passed on to Kafka as stored, never parsed here
    loops: ctx.loops,
    maxAttempts: Number.POSITIVE_INFINITY,
    onError: (error, context) => ctx.logger.warn({ err: error, ...context }, 'relay: publishing to Kafka failed; retrying'),
  });
  const subscription = outbox.subscribe(RELAY_GROUP, (events) => publisher.publish(events));
  return {
    drain: () => subscription.drain(),
    async stop() {
      await subscription.stop();
      await publisher.close();
    },
  };
}
