/**
 * Kafka clients side by side on the real broker (`npm run bench -- kafka-clients`, needs
 * TEST_KAFKA_BROKERS or KAFKA_BROKERS; `npm run engines -- up kafka` starts one): kafkajs 2.2.4
 * against @platformatic/kafka 1.22 (bench/peers/kafka-clients, installed there on first use: it
 * is not one of the project's dependencies), the same messages the relay sends (~1 KB order events keyed
 * by order id, the type in a header), the same settings (idempotent producer, acks = all, one
 * request in flight, batches of 500 as the relay publishes them), then a consumer group reading
 * them all back and committing after each batch. Rounds alternate; medians are printed.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { percentile } from './lib/server-db';
import { record } from './lib/summary';

const BROKERS = (process.env.TEST_KAFKA_BROKERS || process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const MESSAGES = Number(process.env.BENCH_KAFKA_MESSAGES || 50_000);
const BATCH = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const PARTITIONS = 6;

interface Wire {
  key: string;
  value: string;
  headers: Record<string, string>;
}

function messages(): Wire[] {
  const orders = Array.from({ length: 2000 }, () => randomUUID());
  const filler = 'x'.repeat(800);
  return Array.from({ length: MESSAGES }, (_, i) => ({
    key: orders[i % orders.length]!,
    value: JSON.stringify({ id: randomUUID(), type: 'order.updated', data: { order: { id: orders[i % orders.length], n: i, filler } } }),
    headers: { 'oms-type': 'order.updated', 'oms-seq': String(i) },
  }));
}

/** The peer's module, installed into bench/peers/kafka-clients on first use (typed loosely: it is not ours). */
async function platformatic(): Promise<any> {
  const dir = path.resolve('bench/peers/kafka-clients');
  const entry = path.join(dir, 'node_modules/@platformatic/kafka/dist/index.js');
  if (!existsSync(entry)) {
    console.log('installing @platformatic/kafka (bench/peers/kafka-clients, once)…');
    await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  }
  return import(pathToFileURL(entry).href);
}

const median = (xs: number[]) => (xs.length === 0 ? NaN : percentile(xs, 50));

async function createTopic(topic: string): Promise<void> {
  const { Admin } = await platformatic();
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: BROKERS });
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
}

async function kafkajsRound(topic: string, wire: Wire[]): Promise<{ produce: number; consume: number }> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  let started = performance.now();
  for (let i = 0; i < wire.length; i += BATCH) await producer.send({ topic, acks: -1, messages: wire.slice(i, i + BATCH) });
  const produce = wire.length / ((performance.now() - started) / 1000);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  started = performance.now();
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const last = batch.messages[batch.messages.length - 1];
        if (!last) return;
        for (const m of batch.messages) JSON.parse(m.value!.toString());
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        payload.resolveOffset(last.offset);
        seen += batch.messages.length;
        if (seen >= wire.length) resolve();
      },
    });
  });
  await done;
  const consume = wire.length / ((performance.now() - started) / 1000);
  await consumer.disconnect();
  return { produce, consume };
}

async function platformaticRound(topic: string, wire: Wire[]): Promise<{ produce: number; consume: number }> {
  const { Producer: PlatformaticProducer, Consumer: PlatformaticConsumer, ProduceAcks } = await platformatic();
  const producer = new PlatformaticProducer({ clientId: 'bench-platformatic', bootstrapBrokers: BROKERS, idempotent: true, acks: ProduceAcks.ALL });
  const encode = (s: string) => Buffer.from(s);
  let started = performance.now();
  for (let i = 0; i < wire.length; i += BATCH) {
    await producer.send({
      messages: wire.slice(i, i + BATCH).map((m) => ({
        topic,
        key: encode(m.key),
        value: encode(m.value),
        headers: new Map(Object.entries(m.headers).map(([k, v]) => [encode(k), encode(v)])),
      })),
    });
  }
  const produce = wire.length / ((performance.now() - started) / 1000);
  await producer.close();

  const consumer = new PlatformaticConsumer({ clientId: 'bench-platformatic', groupId: `bench-platformatic-${topic}`, bootstrapBrokers: BROKERS });
  started = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let seen = 0;
  // The same commit cadence as kafkajs's batches: after each fetched partition batch, here every 500 messages per partition.
  const pending = new Map<number, { commit(): void | Promise<void> }>();
  for await (const message of stream) {
    JSON.parse(message.value.toString());
    seen++;
    pending.set(message.partition, message);
    if (seen % BATCH === 0 || seen >= wire.length) {
      for (const m of pending.values()) await m.commit();
      pending.clear();
    }
    if (seen >= wire.length) break;
  }
  const consume = wire.length / ((performance.now() - started) / 1000);
  await stream.close();
  await consumer.close();
  return { produce, consume };
}

export async function runKafkaClientsBench(): Promise<void> {
  const wire = messages();
  const results = {
    kafkajs: { produce: [] as number[], consume: [] as number[], failed: [] as string[] },
    platformatic: { produce: [] as number[], consume: [] as number[], failed: [] as string[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['kafkajs', 'platformatic'] as const) : (['platformatic', 'kafkajs'] as const);
    for (const client of order) {
      const topic = `bench-clients-${randomBytes(4).toString('hex')}`;
      await createTopic(topic);
      try {
        const r = client === 'kafkajs' ? await kafkajsRound(topic, wire) : await platformaticRound(topic, wire);
        results[client].produce.push(r.produce);
        results[client].consume.push(r.consume);
      } catch (error) {
        // A round that fails is counted and shown, not hidden: reliability is part of the choice.
        results[client].failed.push(
          error instanceof Error ? `${error.message} ${JSON.stringify((error as { errors?: unknown[] }).errors?.map(String) ?? [])}` : String(error),
        );
      }
    }
  }
  const fmt = (xs: number[]) => `${Math.round(median(xs)).toLocaleString('en')}/s (rounds ${xs.map((x) => Math.round(x)).join(', ')})`;
  console.log(`\nKafka clients on the real broker (${BROKERS.join(',')}), ${MESSAGES} messages of ~1 KB, batches of ${BATCH}, median of ${ROUNDS}`);
  for (const client of ['kafkajs', 'platformatic'] as const) {
    console.log(`${client.padEnd(14)} produce ${fmt(results[client].produce)}   consume ${fmt(results[client].consume)}`);
    for (const failure of results[client].failed) console.log(`${''.padEnd(14)} a round FAILED: ${failure.slice(0, 300)}`);
  }
  for (const what of ['produce', 'consume'] as const)
    record({
      bench: 'kafka-clients',
      figure: `@platformatic/kafka ${what}`,
      value: Math.round(median(results.platformatic[what])),
      unit: 'msg/s',
      baseline: { label: 'kafkajs', value: Math.round(median(results.kafkajs[what])) },
    });
}
