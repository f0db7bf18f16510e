import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app';
import { eventually } from '../../../test/helpers/eventually';
import { TenantTx } from '../../db/tenant-scope';
import type { LoggedEvent } from '../../events/envelope';
import { appendEvents } from '../../events/outbox';
import { DeadLetters } from '../../events/dead-letters';
import { DbEventLog } from './event-log';
import { rawEvent } from '../../../test/helpers/raw-event';

let t: TestApp;
let tenantId: string;
beforeAll(async () => {
  t = await buildTestApp();
  tenantId = (await t.tenant()).id;
});
afterAll(() => t.close());

async function publish(keys: string[]): Promise<void> {
  await t.ctx.db.transaction((tx) =>
    appendEvents(
      new TenantTx(tx, tenantId),
      keys.map((key) => rawEvent('order.updated', key, { n: key })),
    ),
  );
}

const fastRetries = { maxAttempts: 3, backoffMs: () => 1, idleCheckMs: 50 };

// What only the outbox log has; the port's shared rules are in ../event-log.contract.test.ts.
describe('database event log', () => {
  it('hands a handler batches of at most batchSize events', async () => {
    const log = new DbEventLog(t.ctx.db, { ...fastRetries, batchSize: 4 });
    const batches: number[] = [];
    const sub = log.subscribe('test-batches', async (events) => void batches.push(events.length));
    await sub.drain();
    batches.length = 0;
    await publish(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    await sub.drain();
    expect(batches).toEqual([4, 3]);
    await sub.stop();
  });

  it('wakes on NOTIFY without polling: a published event arrives by itself', async () => {
    const log = new DbEventLog(t.ctx.db, { ...fastRetries, idleCheckMs: 60_000 });
    const seen: string[] = [];
    const sub = log.subscribe('test-wake', async (events) => void seen.push(...events.map((e) => e.key)));
    await sub.drain();
    seen.length = 0;
    await publish(['w1']);
    await eventually(async () => expect(seen).toEqual(['w1'])); // idleCheckMs is a minute: only the NOTIFY can bring it
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

  // The server's transaction counter is shared by every database on it, far from a power of ten;
  // a fresh embedded database starts a few thousand transactions below one.
  it.skipIf(process.env.TEST_DB === 'postgres')('reads in transaction order when transaction ids gain a digit (9999 → 10000)', async () => {
    const log = new DbEventLog(t.ctx.db, { ...fastRetries, batchSize: 2 });
    const seen: string[] = [];
    const sub = log.subscribe('test-digits', async (events) => void seen.push(...events.map((e) => e.key)));
    await sub.drain();
    seen.length = 0;
    const xid = (await t.ctx.db.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid'))[0]!.xid;
    const boundary = 10 ** String(xid).length;
    // Each subtransaction that writes takes a transaction id: burn them up to just below the boundary.
    await t.ctx.db.query(`DO $$ BEGIN CREATE TEMP TABLE burn (n int);
      FOR i IN 1..${boundary - Number(xid) - 4} LOOP BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN others THEN NULL; END; END LOOP; END $$`);
    const keys = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8'];
    for (const key of keys) await publish([key]); // one transaction each, across the boundary
    const after = (await t.ctx.db.query<{ after: string }>('SELECT pg_current_xact_id()::text AS after'))[0]!.after;
    expect(Number(after)).toBeGreaterThan(boundary);
    await sub.drain();
    expect(seen).toEqual(keys);
    await sub.stop();
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

    // The service knows the handlers of its own groups (finalizer, webhooks), not this one.
    expect((await t.request('POST', `/events/dead-letters/${id}/retry`)).body.code).toBe('event.consumer_not_running');
    const deadLetters = new DeadLetters(t.ctx.db, new Map([['test-dlq', handler]]));
    await expect(deadLetters.retry(id)).rejects.toMatchObject({ code: 'event.retry_failed' });
    healthy = true;
    const retried = await deadLetters.retry(id);
    expect(retried.retried_at).not.toBeNull();
    expect(retried.attempts).toBe(4);
    const tenant = await t.tenant();
    expect((await tenant.as('GET', '/events/dead-letters')).status).toBe(403);
    await sub.stop();
  });
});
