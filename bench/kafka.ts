/**
 * The event log on a real Kafka broker (`npm run bench -- kafka`; the broker from
 * TEST_KAFKA_BROKERS or KAFKA_BROKERS, else 127.0.0.1:9092: `npm run engines -- up kafka`), on
 * the PostgreSQL server, each topic new to the run:
 *  - relay publish throughput: BENCH_RELAY_EVENTS (50,000) order events in the outbox, published
 *    by the relay role (read a batch, publish it with acks = all, commit its offset), against a
 *    bare kafkajs producer sending the same messages (same wire form, batches of 500, idempotent,
 *    acks = all) with no database at all, and against the same work by hand (byHandRound);
 *    alternating rounds, medians;
 *  - created → new_order at a steady 100 orders/s through the service as `npm start` runs it,
 *    with KAFKA_BROKERS (the finalizer reads Kafka, fed by the relay) and without (the outbox).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../src/config/index';
import { createContext } from '../src/context';
import { TenantTx } from '../src/db/tenant-scope';
import { ensureTopic, toMessage } from '../src/adapters/kafka/event-log';
import type { LoggedEvent } from '../src/events/envelope';
import { appendEvents } from '../src/events/outbox';
import { startRelay } from '../src/events/relay-role';
import { createdToNewOrder, seedShop } from './reservations';
import { createBenchDatabase, percentile } from './lib/server-db';
import { startService } from './lib/service';
import { record } from './lib/summary';
import { rawEvent } from '../test/helpers/raw-event';

const BROKERS = process.env.TEST_KAFKA_BROKERS || process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const EVENTS = Number(process.env.BENCH_RELAY_EVENTS || 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const median = (xs: number[]) => percentile(xs, 50);
/** The topic as the relay makes it (6 partitions), through the adapter's own ensureTopic. */
async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, topic, 6);
  await admin.disconnect();
}
const newTopic = () => `bench-${randomBytes(4).toString('hex')}`;

/** A bench database whose outbox holds EVENTS order events of ~1 KB; answers it and its context. */
async function outboxOfEvents() {
  const bench = await createBenchDatabase('kafka_relay', 4);
  const config = loadConfig({ LOG_LEVEL: 'silent', KAFKA_BROKERS: BROKERS, KAFKA_TOPIC: newTopic(), DATA_DIR: '/tmp' });
  const ctx = createContext({ config, logger: pino({ level: 'silent' }), db: bench.db });
  const tenant = await ctx.ims.tenants.create({ code: 'bench', name: 'Bench' });
  const filler = 'x'.repeat(800);
  for (let i = 0; i < EVENTS; i += 1000) {
    await bench.db.transaction((tx) =>
      appendEvents(
        new TenantTx(tx, tenant.id),
        Array.from({ length: Math.min(1000, EVENTS - i) }, (_, j) => {
          const id = randomUUID();
          return rawEvent('order.updated', id, { order: { id, n: i + j, filler } });
        }),
      ),
    );
  }
  return { bench, ctx };
}

/** The relay role publishing the outbox to a new topic: events/s from start to the last commit. */
async function relayRound(): Promise<number> {
  const { bench, ctx } = await outboxOfEvents();
  try {
    const started = performance.now();
    const relay = await startRelay(ctx);
    await relay.drain();
    const perS = EVENTS / ((performance.now() - started) / 1000);
    await relay.stop();
    return perS;
  } finally {
    await bench.drop();
  }
}

/**
 * The relay's work done the simplest way, as the floor: a plain loop that reads 500 events
 * with their data as text, builds each message by string concatenation (no JSON parse or
 * stringify), sends them (idempotent, acks = all) and stores its position in one UPDATE. No
 * lease, no commit-order horizon, no read-ahead, no retries.
 */
async function byHandRound(): Promise<number> {
  const { bench, ctx } = await outboxOfEvents();
  const topic = ctx.config.kafkaTopic;
  const kafka = new Kafka({ clientId: 'bench-by-hand', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  await createTopic(kafka, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  await bench.db.query(`CREATE TABLE bench_position (seq int8 NOT NULL)`);
  await bench.db.query(`INSERT INTO bench_position VALUES (0)`);
  try {
    const started = performance.now();
    for (let after = 0; ;) {
      const rows = await bench.db.query<{ seq: number; tx_id: string; id: string; type: string; tenant_id: string; key: string; at: string; data: string }>(
        `SELECT seq, tx_id::text AS tx_id, id, type, tenant_id, key, to_json(occurred_at)::text AS at, data::text AS data
         FROM oms.events WHERE seq > $1 ORDER BY seq LIMIT 500`,
        [after],
      );
      if (rows.length === 0) break;
      await producer.send({
        topic,
        acks: -1,
        messages: rows.map((r) => ({
          key: r.key,
          value: `{"id":"${r.id}","type":"${r.type}","tenant_id":"${r.tenant_id}","occurred_at":${r.at},"data":${r.data}}`,
          headers: { 'oms-type': r.type, 'oms-seq': String(r.seq), 'oms-tx-id': r.tx_id },
        })),
      });
      after = Number(rows[rows.length - 1]!.seq);
      await bench.db.query('UPDATE bench_position SET seq = $1', [after]);
    }
    return EVENTS / ((performance.now() - started) / 1000);
  } finally {
    await producer.disconnect();
    await bench.drop();
  }
}

/** A bare producer sending the same wire form: no database, no offsets. */
async function bareRound(): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const topic = newTopic();
  await createTopic(kafka, topic);
  const filler = 'x'.repeat(800);
  const messages = Array.from({ length: EVENTS }, (_, n): ReturnType<typeof toMessage> => {
    const id = randomUUID();
    const event: LoggedEvent = {
      seq: n,
      tx_id: '1',
      id: randomUUID(),
      type: 'order.updated',
      tenant_id: randomUUID(),
      key: id,
      occurred_at: new Date(),
      data: { order: { id, n, filler } },
    };
    return toMessage(event);
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  const perS = EVENTS / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return perS;
}

/** created → new_order at a steady 100/s through the service, with and without Kafka. */
async function latency(kafka: boolean): Promise<{ orders: number; p50_ms: number; p99_ms: number }> {
  const bench = await createBenchDatabase(`kafka_latency_${kafka ? 'k' : 'o'}`, 1, { migrate: false });
  const service = await startService({
    DATABASE_URL: bench.url,
    RATE_LIMIT_MAX: '0',
    ...(kafka ? { KAFKA_BROKERS: BROKERS, KAFKA_TOPIC: newTopic() } : {}),
  });
  try {
    return await createdToNewOrder(service, await seedShop(service), bench.url);
  } finally {
    await service.stop();
    await bench.drop();
  }
}

export async function runKafkaBench(): Promise<void> {
  const relay: number[] = [];
  const bare: number[] = [];
  const byHand: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const turns = [() => relayRound().then((x) => relay.push(x)), () => bareRound().then((x) => bare.push(x)), () => byHandRound().then((x) => byHand.push(x))];
    if (round % 2 === 1) turns.reverse();
    for (const turn of turns) await turn();
  }
  const viaKafka = await latency(true);
  const viaOutbox = await latency(false);
  const r = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  console.log(`\nKafka at ${BROKERS}, ${EVENTS} events of ~1 KB, median of ${ROUNDS} alternating rounds`);
  console.log(`relay (outbox → Kafka, acks = all, offset committed)  ${Math.round(median(relay))}/s   (rounds ${r(relay)})`);
  console.log(`bare kafkajs producer, same messages                   ${Math.round(median(bare))}/s   (rounds ${r(bare)})`);
  console.log(`floor: the same work by hand (plain loop)              ${Math.round(median(byHand))}/s   (rounds ${r(byHand)})`);
  console.log(
    `relay ÷ bare producer: ${(median(relay) / median(bare)).toFixed(2)}×   (target ≥ 0.7×); relay ÷ floor ${(median(relay) / median(byHand)).toFixed(2)}×; floor ÷ bare ${(median(byHand) / median(bare)).toFixed(2)}×`,
  );
  console.log(`created → new_order at 100 orders/s, through Kafka: p50 ${viaKafka.p50_ms} ms, p99 ${viaKafka.p99_ms} ms (${viaKafka.orders} orders)`);
  console.log(`created → new_order at 100 orders/s, outbox only:   p50 ${viaOutbox.p50_ms} ms, p99 ${viaOutbox.p99_ms} ms (${viaOutbox.orders} orders)`);
  record({
    bench: 'kafka',
    figure: 'relay publish',
    value: Math.round(median(relay)),
    unit: 'events/s',
    baseline: { label: 'bare producer', value: Math.round(median(bare)) },
  });
  record({
    bench: 'kafka',
    figure: 'created → new_order p50, via Kafka',
    value: viaKafka.p50_ms,
    unit: 'ms',
    baseline: { label: 'outbox only', value: viaOutbox.p50_ms },
  });
  record({
    bench: 'kafka',
    figure: 'created → new_order p99, via Kafka',
    value: viaKafka.p99_ms,
    unit: 'ms',
    baseline: { label: 'outbox only', value: viaOutbox.p99_ms },
  });
}
