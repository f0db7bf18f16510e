/**
 * EventLog on Apache Kafka (kafkajs, pure JS). The outbox stays the source of truth: the relay
 * role (events/relay-role.ts) publishes it here in order, and consumers read Kafka as consumer
 * groups. One topic per aggregate, the event type in a header: `orders` keyed by order id (every
 * event of one order lands in one partition, so a consumer sees an order's events in the order
 * they were written, its creation before its updates, whatever their types; reservation.released
 * too), and `inventory` keyed by `hub_id:sku_id` for level changes (one stock row's changes in
 * order). A consumer group reads the topics that carry the types it asked for.
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
import { LoopRegistry, type LoopStatus } from '../../shared/loop-status';

export interface KafkaOptions {
  brokers: readonly string[];
  clientId?: string;
  /** The orders topic (default ORDERS_TOPIC). */
  topic?: string;
  /** The inventory topic (default INVENTORY_TOPIC). */
  inventoryTopic?: string;
  /** Consumer group ids are `${groupPrefix}${group}` (default: the topic and a dot). */
  groupPrefix?: string;
  /** Partitions of each topic when this process creates it. */
  partitions?: number;
  maxAttempts?: number;
  backoffMs?: (attempt: number) => number;
  onError?: (error: unknown, context: Record<string, unknown>) => void;
  /** Where kafkajs's own warnings and errors go. */
  logger?: Logger;
  /** Where each consumer group reports its state (`event-log:<group>`). */
  loops?: LoopRegistry;
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

/** The orders aggregate's topic by default (KAFKA_TOPIC): every order event, keyed by order id. */
export const ORDERS_TOPIC = 'orders';
/** The inventory's topic by default (KAFKA_INVENTORY_TOPIC). */
export const INVENTORY_TOPIC = 'inventory';

/** Where each aggregate's events go. */
export interface Topics {
  orders: string;
  inventory: string;
}

/**
 * Stock levels go to the inventory topic. Everything keyed by an order id stays on the orders
 * topic, reservation.released included: Kafka orders a key's messages within one topic only, and
 * a release and the order's cancellation must reach a consumer of both in the order written.
 */
const topicOf = (topics: Topics, type: string) => (type === 'inventory.level_changed' ? topics.inventory : topics.orders);

/** The topic, created if missing (idempotent; several processes may race). */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  } catch (error) {
    // Another process created it meanwhile (its leaders may still be on their way: clients wait for them).
    if (!(await admin.listTopics()).includes(topic)) throw error;
  }
}

/** The wire form: the envelope as JSON value, the order id as key, the type and the outbox position in headers. */
export function toMessage(event: LoggedEvent): { key: string; value: string; headers: Record<string, string> } {
  const headers = { 'oms-type': event.type, 'oms-seq': String(event.seq), 'oms-tx-id': event.tx_id };
  if (event.data_json !== undefined) {
    // The stored JSON text goes in as is; only the small fields are serialized.
    const head = JSON.stringify({ id: event.id, type: event.type, tenant_id: event.tenant_id, occurred_at: event.occurred_at });
    return { key: event.key, value: `${head.slice(0, -1)},"data":${event.data_json}}`, headers };
  }
  const envelope = { id: event.id, type: event.type, tenant_id: event.tenant_id, occurred_at: event.occurred_at, data: event.data };
  return { key: event.key, value: JSON.stringify(envelope), headers };
}

/** The event type a message's header names (read without parsing the value). */
const typeOf = (message: KafkaMessage) => message.headers?.['oms-type']?.toString();

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
    private readonly topics: Topics = { orders: ORDERS_TOPIC, inventory: INVENTORY_TOPIC },
    private readonly partitions = 6,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.admin = kafka.admin();
  }

  /** Connects once; a failed attempt (the broker away) is forgotten, so the next publish tries again. */
  connect(): Promise<void> {
    this.ready ??= (async () => {
      await this.admin.connect();
      for (const topic of [this.topics.orders, this.topics.inventory]) await ensureTopic(this.admin, topic, this.partitions);
      await this.producer.connect();
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Resolves once every broker in the in-sync set has the batch (acks = all); each event in its aggregate's topic. */
  async publish(events: readonly LoggedEvent[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, ReturnType<typeof toMessage>[]>();
    for (const event of events) {
      const topic = topicOf(this.topics, event.type);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), toMessage(event)]);
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
    const topic = this.options.topic ?? ORDERS_TOPIC;
    const topics = { orders: topic, inventory: this.options.inventoryTopic ?? INVENTORY_TOPIC };
    const types = new Set<string>(subscribed.types ?? EVENT_TYPES);
    return new KafkaGroupConsumer(this.kafka, this.db, {
      topics: [...new Set([...types].map((type) => topicOf(topics, type)))],
      partitions: this.options.partitions ?? 6,
      groupId: `${this.options.groupPrefix ?? `${topic}.`}${group}`,
      group,
      status: (this.options.loops ?? new LoopRegistry()).loop(`event-log:${group}`),
      handler,
      retry: {
        maxAttempts: this.options.maxAttempts ?? 5,
        backoffMs: this.options.backoffMs ?? defaultBackoffMs,
        onError: this.options.onError ?? (() => {}),
      },
      types,
    });
  }
}

interface GroupSettings {
  /** The topics carrying the types the group asked for. */
  topics: string[];
  partitions: number;
  groupId: string;
  /** The group's name in the dead letters and in logs. */
  group: string;
  status: LoopStatus;
  handler: BatchHandler;
  retry: RetryOptions;
  /** The types handed to the handler; the group's position moves past the others, whose values are never parsed. */
  types: ReadonlySet<string>;
}

class KafkaGroupConsumer implements Subscription {
  /** Replaced when it crashes for good (see rejoinLater). */
  private consumer: Consumer;
  private readonly admin: Admin;
  private readonly started: Promise<void>;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly db: Db,
    private readonly settings: GroupSettings,
  ) {
    this.consumer = this.newConsumer();
    this.admin = kafka.admin();
    this.started = this.start();
    this.started.catch((error: unknown) => settings.retry.onError(error, { group: settings.group, phase: 'connect' }));
  }

  private async start(): Promise<void> {
    await this.admin.connect();
    for (const topic of this.settings.topics) await ensureTopic(this.admin, topic, this.settings.partitions);
    await this.run(this.consumer);
  }

  /**
   * kafkajs restarts a crashed consumer only after a retriable error. A non-retriable one, such
   * as "the coordinator is not aware of this member" when the broker restarted and the group
   * moved on, would leave the group unread for good: so a fresh consumer rejoins after a pause.
   */
  private newConsumer(): Consumer {
    const consumer = this.kafka.consumer({ groupId: this.settings.groupId });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped) return;
      this.settings.status.failed(payload.error);
      this.settings.retry.onError(payload.error, { group: this.settings.group, phase: 'crashed; rejoining' });
      this.rejoinLater();
    });
    return consumer;
  }

  private rejoinLater(): void {
    setTimeout(() => {
      if (this.stopped) return;
      const crashed = this.consumer;
      this.consumer = this.newConsumer();
      void crashed
        .disconnect()
        .catch(() => undefined)
        .then(() => this.run(this.consumer))
        .catch((error: unknown) => {
          this.settings.retry.onError(error, { group: this.settings.group, phase: 'rejoin' });
          this.rejoinLater();
        });
    }, 1000);
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: this.settings.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        this.settings.status.set('working');
        const events = batch.messages.filter((m) => this.settings.types.has(typeOf(m) ?? '')).map(fromMessage);
        if (events.length > 0)
          await handleWithRetries(this.db, this.settings.group, this.settings.handler, events, { ...this.settings.retry, isStopping: () => this.stopped });
        const last = batch.messages[batch.messages.length - 1]!;
        const next = BigInt(last.offset) + 1n;
        // Committed only now: the handler's transaction is done, so a crash before this line re-delivers, never skips.
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
        payload.resolveOffset(last.offset);
        await payload.heartbeat();
        if (!this.stopped) this.settings.status.set('idle');
      },
    });
  }

  /** Waits until the group's committed offsets reach every partition's end (as it was when drain began). */
  async drain(timeoutMs = 30_000): Promise<void> {
    await this.started;
    const deadline = Date.now() + timeoutMs;
    const ends = new Map<string, bigint>();
    const { topics, groupId } = this.settings;
    for (const topic of topics) for (const { partition, high } of await this.admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${partition}`, BigInt(high));
    for (;;) {
      const offsets = await this.admin.fetchOffsets({ groupId, topics });
      const done = [...ends].every(([at, high]) => {
        const [topic, partition] = at.split(':') as [string, string];
        const group = offsets.find((o) => o.topic === topic)?.partitions.find((p) => p.partition === Number(partition));
        const offset = group && group.offset !== '-1' ? BigInt(group.offset) : 0n;
        return high === 0n || offset >= high;
      });
      if (done) return;
      if (Date.now() > deadline) throw new Error(`consumer group ${groupId} did not catch up within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.settings.status.set('stopped');
    await this.started.catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined); // finishes the batch in hand first
    await this.admin.disconnect().catch(() => undefined);
  }
}
