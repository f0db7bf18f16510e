/**
 * The EventLog port's contract, run against every implementation: the outbox table (on the
 * project's engine) and Kafka, fed by the relay role. Kafka runs only against a real broker named
 * by TEST_KAFKA_BROKERS (`npm run engines -- up kafka` starts one; CI does): a fake one would
 * prove nothing.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/app';
import { TenantTx } from '../db/tenant-scope';
import type { EventType, LoggedEvent } from '../events/envelope';
import { appendEvents } from '../events/outbox';
import { startRelay } from '../events/relay-role';
import type { RunningRole } from '../shared/running-role';
import type { EventLog } from '../ports/event-log';
import { fromMessage, KafkaEventLog, toMessage } from './kafka/event-log';
import { DbEventLog } from './postgres/event-log';
import { rawEvent } from '../../test/helpers/raw-event';

const KAFKA_BROKERS = process.env.TEST_KAFKA_BROKERS;
if (!KAFKA_BROKERS) console.log('Kafka event log contract SKIPPED: TEST_KAFKA_BROKERS is not set (start a broker: npm run engines -- up kafka)');

let t: TestApp;
let tenantId: string;
let relay: RunningRole | undefined;
const run = randomBytes(4).toString('hex'); // keys unique to this run: Kafka topics outlive test databases

beforeAll(async () => {
  t = await buildTestApp(KAFKA_BROKERS ? { KAFKA_BROKERS } : {});
  tenantId = (await t.tenant()).id;
  if (KAFKA_BROKERS) relay = await startRelay(t.ctx);
});
afterAll(async () => {
  await relay?.stop();
  await t.close();
});

const fastRetries = { maxAttempts: 3, backoffMs: () => 1 };

const implementations: [string, () => EventLog, boolean][] = [
  ['database outbox', () => new DbEventLog(t.ctx.db, { ...fastRetries, idleCheckMs: 50 }), true],
  [
    'Kafka (via the relay)',
    () => new KafkaEventLog(t.ctx.db, { brokers: KAFKA_BROKERS!.split(','), groupPrefix: `oms-test-${run}.`, partitions: 3, ...fastRetries }),
    !!KAFKA_BROKERS,
  ],
];

/**
 * Appends events named like 'a1': the letter is the key (one key's events must arrive in
 * order; different keys may interleave, as on Kafka's partitions), the name is the data.
 * `prefix` keeps this run's and this implementation's keys apart: Kafka topics outlive test
 * databases, and the relay publishes every implementation's events.
 */
async function publish(prefix: string, names: string[], type: EventType = 'order.updated'): Promise<void> {
  await t.ctx.db.transaction((tx) =>
    appendEvents(
      new TenantTx(tx, tenantId),
      names.map((name) => rawEvent(type, `${prefix}${name[0]}`, { n: name })),
    ),
  );
  await relay?.drain(); // on Kafka, the relay publishes what the outbox holds
}

/** The names of the events under `prefix`, in the order handed over. */
const ours = (prefix: string, events: LoggedEvent[]) => events.filter((e) => e.key.startsWith(prefix)).map((e) => String(e.data.n));

for (const [engine, open, available] of implementations) {
  const prefix = `${run}-${engine.split(' ')[0]}-`;
  describe.skipIf(!available)(`EventLog contract: ${engine}`, () => {
    it('delivers every event with its envelope, one key in order, and a new consumer of the group resumes after the committed offset', async () => {
      const log = open();
      const group = `order-${engine.length}`;
      const seen: string[] = [];
      const sub = log.subscribe(group, async (events) => void seen.push(...ours(prefix, events)));
      await sub.drain();
      seen.length = 0;
      await publish(prefix, ['a1', 'a2', 'a3']);
      await publish(prefix, ['b1', 'a4']);
      await sub.drain();
      expect(seen.filter((k) => k.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
      expect([...seen].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
      await sub.stop();

      const resumed: LoggedEvent[] = [];
      const again = open().subscribe(group, async (events) => void resumed.push(...events.filter((e) => ours(prefix, [e]).length > 0)));
      await publish(prefix, ['c1']);
      await again.drain();
      expect(ours(prefix, resumed)).toEqual(['c1']);
      expect(resumed[0]).toMatchObject({ type: 'order.updated', tenant_id: tenantId, data: { n: 'c1' }, seq: expect.any(Number) });
      expect(resumed[0]!.occurred_at).toBeInstanceOf(Date);
      await again.stop();
    });

    it("hands over each order's events in the order they were written, whatever their types, with many orders at once", async () => {
      const log = open();
      const seen = new Map<string, string[]>();
      const sub = log.subscribe(`per-order-${engine.length}`, async (events) => {
        for (const e of events.filter((x) => x.key.startsWith(`${prefix}o`))) seen.set(e.key, [...(seen.get(e.key) ?? []), e.type]);
      });
      await sub.drain();
      seen.clear();
      // Each order: created, then at once cancelled (updated), each its own transaction; 60 orders in parallel.
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const key = `${prefix}o${i}`;
          for (const type of ['order.created', 'order.updated'] as const)
            await t.ctx.db.transaction((tx) => appendEvents(new TenantTx(tx, tenantId), [rawEvent(type, key, { n: `o${i}` })]));
        }),
      );
      await relay?.drain();
      await sub.drain();
      expect(seen.size).toBe(60);
      for (const types of seen.values()) expect(types).toEqual(['order.created', 'order.updated']);
      await sub.stop();
    });

    it('hands a group subscribed to some types only those, and its position moves past the rest', async () => {
      const log = open();
      const group = `types-${engine.length}`;
      const seen: LoggedEvent[] = [];
      const sub = log.subscribe(group, async (events) => void seen.push(...events.filter((e) => ours(prefix, [e]).length > 0)), { types: ['order.deleted'] });
      await sub.drain();
      seen.length = 0;
      await publish(prefix, ['t1', 't2']); // order.updated
      await publish(prefix, ['u3'], 'order.deleted');
      await sub.drain();
      expect(seen.map((e) => [e.type, e.key.slice(prefix.length), e.data])).toEqual([['order.deleted', 'u', { n: 'u3' }]]);
      await sub.stop();
      const resumed: string[] = [];
      const again = open().subscribe(group, async (events) => void resumed.push(...ours(prefix, events)), { types: ['order.deleted'] });
      await again.drain();
      expect(resumed).toEqual([]); // nothing left behind the committed position
      await again.stop();
    });

    it('parks a poison event in the dead letters after its attempts and moves on', async () => {
      const log = open();
      const group = `poison-${engine.length}`;
      const handled: string[] = [];
      const sub = log.subscribe(group, async (events) => {
        if (ours(prefix, events).includes('poison')) throw new Error('cannot digest this');
        handled.push(...ours(prefix, events));
      });
      await sub.drain();
      handled.length = 0;
      await publish(prefix, ['p1', 'poison', 'p2']);
      await sub.drain();
      expect(handled).toEqual(['p1', 'p2']);
      const dead = await t.ctx.db.query<{ consumer: string; attempts: number; error: string }>(
        `SELECT d.consumer, d.attempts, d.error FROM oms.dead_letters d JOIN oms.events e ON e.seq = d.event_seq WHERE e.key = $1 AND e.data->>'n' = 'poison'`,
        [`${prefix}p`],
      );
      expect(dead).toEqual([{ consumer: group, attempts: 3, error: 'cannot digest this' }]);
      await sub.stop();
    });
  });
}

describe('Kafka wire form', () => {
  it('round-trips an event through a message: envelope as value, order id as key, outbox position in headers', () => {
    const event: LoggedEvent = {
      seq: 42,
      tx_id: '901',
      id: '0193a0e0-0000-7000-8000-000000000001',
      type: 'order.updated',
      tenant_id: 'tenant-1',
      key: 'order-1',
      occurred_at: new Date('2026-11-22T05:00:00.123Z'),
      data: { order: { id: 'order-1' }, previous_status: 'on_hold' },
    };
    const message = toMessage(event);
    expect(message.key).toBe('order-1');
    expect(JSON.parse(message.value)).toEqual({
      id: event.id,
      type: 'order.updated',
      tenant_id: 'tenant-1',
      occurred_at: '2026-11-22T05:00:00.123Z',
      data: event.data,
    });
    const back = fromMessage({
      key: Buffer.from(message.key),
      value: Buffer.from(message.value),
      offset: '0',
      timestamp: '0',
      attributes: 0,
      size: 0,
      headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)])),
    } as unknown as KafkaMessage);
    expect(back).toEqual(event);
    // The relay's form (data as the outbox's JSON text, never parsed) gives the same message.
    expect(toMessage({ ...event, data: {}, data_json: JSON.stringify(event.data) })).toEqual(message);
  });
});
