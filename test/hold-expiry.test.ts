/** Holds and the roles around them: an order waiting for held stock, served when the hold expires, by the running finalizer and expiry loop. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, stockedTenant, type TestApp, levelOf, expectReconciled } from './helpers/app';
import { startFinalizer } from '../src/oms/orders/finalizer-role';
import { startHoldExpiry } from '../src/ims/holds/expiry-role';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const level = levelOf;
const reconciled = expectReconciled;

describe('expiry and waiting orders', () => {
  it('an order waiting for held stock is reserved as soon as the hold expires, by the running roles', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 2]]);
    const finalizer = await startFinalizer(t.ctx, { sweepMs: 3_600_000 });
    const expiry = startHoldExpiry(t.ctx, { maxSleepMs: 200 });
    try {
      const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }], expires_in_seconds: 1 } })).body;
      const order = (await own.as('POST', '/orders', { body: { customer: { name: 'W', email: 'w@example.com' }, items: [{ sku: 'A', quantity: 2 }] } })).body;
      await expect.poll(async () => (await own.as('GET', `/orders/${order.id}`)).body.status_reason).toBe('insufficient_stock');
      await expect.poll(async () => (await own.as('GET', `/orders/${order.id}`)).body.status).toBe('new_order');
      expect((await own.as('GET', `/holds/${hold.id}`)).body.status).toBe('expired');
      expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 2, held: 0, available: 0 });
      await reconciled(own);
    } finally {
      await expiry.stop();
      await finalizer.stop();
    }
  });
});
