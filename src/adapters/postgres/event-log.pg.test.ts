/**
 * Server only (PGlite runs one transaction at a time, so this cannot happen there): an event
 * whose transaction commits after a later one is delivered, not skipped.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app';
import { TenantTx } from '../../db/tenant-scope';
import { appendEvents } from '../../events/outbox';
import { DbEventLog } from './event-log';
import { rawEvent } from '../../../test/helpers/raw-event';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

it('waits for an older transaction instead of skipping its event', async () => {
  const tenantId = (await t.tenant()).id;
  const log = new DbEventLog(t.ctx.db, { idleCheckMs: 60_000 });
  const seen: string[] = [];
  const sub = log.subscribe('horizon', async (events) => void seen.push(...events.map((e) => e.key)));
  await sub.drain();

  let commitSlow!: () => void;
  const slowMayCommit = new Promise<void>((resolve) => (commitSlow = resolve));
  let slowWrote!: () => void;
  const wrote = new Promise<void>((resolve) => (slowWrote = resolve));
  const slow = t.ctx.db.transaction(async (tx) => {
    await appendEvents(new TenantTx(tx, tenantId), [rawEvent('order.updated', 'slow', {})]);
    slowWrote();
    await slowMayCommit; // holds the transaction open (an older xid) while a newer one commits
  });
  await wrote;
  await t.ctx.db.transaction((tx) => appendEvents(new TenantTx(tx, tenantId), [rawEvent('order.updated', 'fast', {})]));

  await sub.drain();
  expect(seen).toEqual([]); // "fast" is held back: "slow" may still commit before it in log order
  commitSlow();
  await slow;
  await sub.drain();
  expect(seen).toEqual(['slow', 'fast']);
  await sub.stop();
});
