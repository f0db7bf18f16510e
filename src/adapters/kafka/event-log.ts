/**
 * EventLog on Apache Kafka (kafkajs, pure JS). The outbox stays the source of truth: the relay
 * role (events/relay-role.ts) publishes it here in order, and consumers read Kafka as consumer
 * groups. Topic = event type, key = order id, so one order's events of a type keep their order.
 *
 * A consumer handles a fetched batch with the same retry-then-park rule as the database log
 * (events/handle-batch.ts), and commits the batch's offset only after the handler's own
 * transaction has committed. A crash in between re-delivers the batch: handlers are idempotent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel as KafkaLogLevel, type Admin, type Consumer, type KafkaMessage, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Db } from '../../db/handle';
import { EVENT_TYPES, type EventType, type LoggedEvent } from '../../events/envelope';
import { defaultBackoffMs, handleWithRetries, type RetryOptions } from '../../events/handle-batch';
import type { BatchHandler, EventLog, SubscribeOptions, Subscription } from '../../ports/event-log';

export interface KafkaOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Consumer group ids are `${groupPrefix}${group}`. */
  groupPrefix?: string;
  /** Partitions of each topic when this process creates it. */
  partitions?: number;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  onError?: (error: unknown, context: Record<string, unknown>) => void;
  /** Where kafkajs's own warnings and errors go. */
  logger?: Logger;
}

export function createKafka(options: KafkaOptions): Kafka {
  return new Kafka({
    clientId: options.clientId ?? 'oms',
    brokers: [...options.brokers],
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        options.logger?.[level === KafkaLogLevel.ERROR ? 'error' : 'warn']({ ...extra, component: 'kafka' }, message);
      },
  });
}

/** One topic per event type, created if missing (idempotent; several processes may race). */
export async function ensureTopics(admin: Admin, partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = EVENT_TYPES.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions })) });
}

/** The wire form: the envelope as JSON value, the order id as key, the outbox position in headers. */
export function toMessage(event: LoggedEvent): { key: string; value: string; headers: Record<string, string> } {
  const envelope = { id: event.id, type: event.type, tenant_id: event.tenant_id, occurred_at: event.occurred_at, data: event.data };
  return { key: event.key, value: JSON.stringify(envelope), headers: { 'oms-seq': String(event.seq), 'oms-tx-id': event.tx_id } };
}

export function fromMessage(message: KafkaMessage): LoggedEvent {
  const envelope = JSON.parse(message.value?.toString() ?? '{}') as {
    id: string;
    type: EventType;
    tenant_id: string;
    occurred_at: string;
    data: Record<string, unknown>;
  };
  const header = (name: string) => message.headers?.[name]?.toString() ?? '';
  return {
    ...envelope,
    occurred_at: new Date(envelope.occurred_at),
    key: message.key?.toString() ?? '',
    seq: Number(header('oms-seq')),
    tx_id: header('oms-tx-id'),
  };
}

/** Publishes outbox batches: idempotent producer, one request in flight, so order and no duplicates per partition. */
export class KafkaPublisher {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly partitions = 6,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.admin = kafka.admin();
  }

  connect(): Promise<void> {
    this.ready ??= (async () => {
      await this.admin.connect();
      await ensureTopics(this.admin, this.partitions);
      await this.producer.connect();
    })();
    return this.ready;
  }

  /** Resolves once every broker in the in-sync set has the batch (acks = all). */
  async publish(events: readonly LoggedEvent[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, ReturnType<typeof toMessage>[]>();
    for (const event of events) {
      let messages = byTopic.get(event.type);
      if (!messages) byTopic.set(event.type, (messages = []));
      messages.push(toMessage(event));
    }
    await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}

export class KafkaEventLog implements EventLog {
  readonly kafka: Kafka;

  constructor(
    private readonly db: Db,
    private readonly options: KafkaOptions,
  ) {
    this.kafka = createKafka(options);
  }

  subscribe(group: string, handler: BatchHandler, subscribed: SubscribeOptions = {}): Subscription {
    const onError = this.options.onError ?? (() => {});
    return new KafkaGroupConsumer(
      this.kafka,
      this.db,
      `${this.options.groupPrefix ?? 'oms.'}${group}`,
      group,
      handler,
      {
        maxAttempts: this.options.maxAttempts ?? 5,
        backoffMs: this.options.backoffMs ?? defaultBackoffMs,
        onError,
      },
      this.options.partitions ?? 6,
      subscribed.types ?? EVENT_TYPES,
    );
  }
}

class KafkaGroupConsumer implements Subscription {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly started: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly db: Db,
    private readonly groupId: string,
    private readonly group: string,
    private readonly handler: BatchHandler,
    private readonly retry: RetryOptions,
    partitions: number,
    /** One topic per event type: the group reads only the topics of the types it wants. */
    private readonly topics: readonly string[],
  ) {
    this.consumer = kafka.consumer({ groupId });
    this.admin = kafka.admin();
    this.started = this.start(partitions);
    this.started.catch((error: unknown) => retry.onError(error, { group, phase: 'connect' }));
  }

  private async start(partitions: number): Promise<void> {
    await this.admin.connect();
    await ensureTopics(this.admin, partitions);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        const events = batch.messages.map(fromMessage);
        await handleWithRetries(this.db, this.group, this.handler, events, this.retry);
        const last = batch.messages[batch.messages.length - 1]!;
        const next = BigInt(last.offset) + 1n;
        // Committed only now: the handler's transaction is done, so a crash before this line re-delivers, never skips.
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
        payload.resolveOffset(last.offset);
        await payload.heartbeat();
      },
    });
  }

  /** Waits until the group's committed offsets reach every partition's end (as it was when drain began). */
  async drain(timeoutMs = 30_000): Promise<void> {
    await this.started;
    const deadline = Date.now() + timeoutMs;
    const ends = new Map<string, bigint>();
    for (const topic of this.topics) {
      for (const { partition, high } of await this.admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${partition}`, BigInt(high));
    }
    for (;;) {
      const offsets = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [...this.topics] });
      const done = [...ends].every(([at, high]) => {
        const [topic, partition] = at.split(':') as [string, string];
        const group = offsets.find((o) => o.topic === topic)?.partitions.find((p) => p.partition === Number(partition));
        const offset = group && group.offset !== '-1' ? BigInt(group.offset) : 0n;
        return high === 0n || offset >= high;
      });
      if (done) return;
      if (Date.now() > deadline) throw new Error(`consumer group ${this.groupId} did not catch up within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    await this.started.catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined); // finishes the batch in hand first
    await this.admin.disconnect().catch(() => undefined);
  }
}
