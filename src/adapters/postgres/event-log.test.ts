import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app';
import { TenantTx } from '../../db/tenant-scope';
import type { LoggedEvent } from '../../events/envelope';
import { appendEvents } from '../../events/outbox';
import { DbEventLog } from './event-log';

let t: TestApp;
let tenantId: string;
beforeAll(async () => {
  t = await buildTestApp();
  tenantId = (await t.tenant()).id;
});
afterAll(() => t.close());

async function publish(keys: string[]): Promise<void> {
  await t.ctx.db.transaction((tx) =>
    appendEvents(new TenantTx(tx, tenantId), keys.map((key) => ({ type: 'order.updated' as const, key, data: { n: key } }))));
}

const fastRetries = { maxAttempts: 3, backoffMs: () => 1, idleCheckMs: 50 };

describe('database event log', () => {
  it('delivers in order, in batches, and resumes after the committed offset', async () => {
    const log = new DbEventLog(t.ctx.db, { ...fastRetries, batchSize: 4 });
    const seen: string[] = [];
    const batches: number[] = [];
    const sub = log.subscribe('test-order', async (events) => {
      batches.push(events.length);
      seen.push(...events.map((e) => e.key));
    });
    await sub.drain();
    const before = seen.length; // whatever other tests published first
    await publish(['a1', 'a2', 'a3']);
    await publish(['a4', 'a5', 'a6', 'a7']);
    await sub.drain();
    expect(seen.slice(before)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    expect(Math.max(...batches)).toBeLessThanOrEqual(4);
    await sub.stop();

    // a new consumer of the same group starts after the offset: nothing twice
    const resumed: string[] = [];
    const again = log.subscribe('test-order', async (events) => void resumed.push(...events.map((e) => e.key)));
    await publish(['a8']);
    await again.drain();
    expect(resumed).toEqual(['a8']);
    await again.stop();
  });

  it('wakes on NOTIFY without polling: a published event arrives by itself', async () => {
    const log = new DbEventLog(t.ctx.db, { ...fastRetries, idleCheckMs: 60_000 });
    const seen: string[] = [];
    const sub = log.subscribe('test-wake', async (events) => void seen.push(...events.map((e) => e.key)));
    await sub.drain();
    seen.length = 0;
    await publish(['w1']);
    const deadline = Date.now() + 5000;
    while (!seen.includes('w1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['w1']);
    await sub.stop();
  });

  it('parks a poison event in the dead letters after its attempts and moves on', async () => {
    const log = new DbEventLog(t.ctx.db, fastRetries);
    const handled: string[] = [];
    let poisonCalls = 0;
    const sub = log.subscribe('test-poison', async (events: LoggedEvent[]) => {
      if (events.some((e) => e.key === 'poison')) {
        poisonCalls++;
        throw new Error('cannot digest this');
      }
      handled.push(...events.map((e) => e.key));
    });
    await sub.drain();
    handled.length = 0;
    await publish(['p1', 'poison', 'p2']);
    await sub.drain();
    expect(handled).toEqual(['p1', 'p2']);
    expect(poisonCalls).toBe(1 + 3); // the batch, then three single attempts
    const dead = await t.ctx.db.query<{ consumer: string; attempts: number; error: string }>(
      `SELECT d.consumer, d.attempts, d.error FROM oms.dead_letters d JOIN oms.events e ON e.seq = d.event_seq WHERE e.key = 'poison'`,
    );
    expect(dead).toEqual([{ consumer: 'test-poison', attempts: 3, error: 'cannot digest this' }]);
    await sub.stop();
  });

  it('one process at a time consumes for a group (the lease)', async () => {
    const log = new DbEventLog(t.ctx.db, fastRetries);
    const first: string[] = [];
    const second: string[] = [];
    const a = log.subscribe('test-lease', async (events) => void first.push(...events.map((e) => e.key)));
    await a.drain();
    const b = log.subscribe('test-lease', async (events) => void second.push(...events.map((e) => e.key)));
    first.length = 0;
    await publish(['l1']);
    await a.drain();
    await b.drain();
    expect(first).toEqual(['l1']);
    expect(second).toEqual([]);
    await a.stop(); // releases the lease: b takes over
    await publish(['l2']);
    await b.drain();
    expect(second).toEqual(['l2']);
    await b.stop();
  });
});

describe('dead letters (admin API)', () => {
  it('lists parked events and retries one through the registered consumer', async () => {
    const log = new DbEventLog(t.ctx.db, fastRetries);
    let healthy = false;
    const handler = async (events: LoggedEvent[]) => {
      if (!healthy && events.some((e) => e.key === 'sick')) throw new Error('not yet');
    };
    const sub = log.subscribe('test-dlq', handler);
    await sub.drain();
    await publish(['sick']);
    await sub.drain();
    const listed = await t.request('GET', '/events/dead-letters?consumer=test-dlq');
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ consumer: 'test-dlq', attempts: 3, error: 'not yet', event: { type: 'order.updated' } });
    const id = listed.body.data[0].id;

    expect((await t.request('POST', `/events/dead-letters/${id}/retry`)).body.code).toBe('event.consumer_not_running');
    t.ctx.consumers.set('test-dlq', handler);
    expect((await t.request('POST', `/events/dead-letters/${id}/retry`)).body.code).toBe('event.retry_failed');
    healthy = true;
    const retried = await t.request('POST', `/events/dead-letters/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.retried_at).not.toBeNull();
    expect(retried.body.attempts).toBe(4);
    const tenant = await t.tenant();
    expect((await tenant.as('GET', '/events/dead-letters')).status).toBe(403);
    t.ctx.consumers.delete('test-dlq');
    await sub.stop();
  });
});
