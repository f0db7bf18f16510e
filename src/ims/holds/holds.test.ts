/** Holds over HTTP: taken all or nothing, changed by difference, extended, released and expired exactly once, never oversold. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, stockedTenant, type TestApp, type TestTenant, levelOf, expectReconciled } from '../../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const level = levelOf;
const reconciled = expectReconciled;
const events = (own: TestTenant, type: string) =>
  t.ctx.db.query<{ data: any }>('SELECT data FROM oms.events WHERE tenant_id = $1 AND type = $2 ORDER BY seq', [own.id, type]);
/** Moves a hold's expiry into the past, as time passing would. */
const expireNow = (id: string) => t.ctx.db.query(`UPDATE ims.holds SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);

describe('POST /holds', () => {
  it('holds every line: held rises, available falls, and the answer names where the units are', async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 10],
      ['H2', 'B', 4],
    ]);
    const res = await own.as('POST', '/holds', {
      body: {
        reference: 'cart-1',
        items: [
          { sku: 'A', quantity: 3 },
          { sku: 'B', quantity: 4, hub: 'H2' },
        ],
        expires_in_seconds: 600,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ reference: 'cart-1', status: 'active', order_id: null });
    const lifetime = new Date(res.body.expires_at).getTime() - new Date(res.body.created_at).getTime();
    expect(lifetime).toBe(600_000);
    expect(res.body.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sku: 'A', hub: 'H1', quantity: 3, allocation: 'single_hub' }),
        expect.objectContaining({ sku: 'B', hub: 'H2', quantity: 4, allocation: 'requested' }),
      ]),
    );
    expect(await level(own, 'H1', 'A')).toEqual({ hub: 'H1', sku: 'A', on_hand: 10, reserved: 0, held: 3, available: 7 });
    expect(await level(own, 'H2', 'B')).toMatchObject({ held: 4, available: 0 });
    expect((await own.as('GET', `/holds/${res.body.id}`)).body).toEqual(res.body);
    const [created] = await events(own, 'hold.created');
    expect(created!.data.hold).toEqual(res.body);
    const ledger = (await own.as('GET', '/inventory/transactions?sku=A')).body.data;
    expect(ledger[0]).toMatchObject({ reason: 'hold', delta_held: 3, held_after: 3, delta_reserved: 0 });
    await reconciled(own);
  });

  it('holds nothing when a line is short, naming per line what was asked and what is available', async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 5],
      ['H1', 'B', 1],
    ]);
    const res = await own.as('POST', '/holds', {
      body: {
        items: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 2, hub: 'H1' },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'hold.insufficient_stock', shortages: [{ sku: 'B', hub: 'H1', requested: 2, available: 1 }] });
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 0, available: 5 });
    expect(await events(own, 'hold.created')).toEqual([]);
  });

  it('takes the tenant default expiry and refuses one beyond its maximum (422 naming the field)', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const held = await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1 }] } });
    expect(new Date(held.body.expires_at).getTime() - new Date(held.body.created_at).getTime()).toBe(15 * 60_000);
    const tooLong = await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1 }], expires_in_seconds: 86_401 } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual([expect.objectContaining({ field: 'expires_in_seconds', value: '86401' })]);
    expect((await t.request('PATCH', `/tenants/${own.id}`, { body: { settings: { hold_expiry_seconds: 60, hold_expiry_max_seconds: 120 } } })).status).toBe(
      200,
    );
    const short = await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1 }] } });
    expect(new Date(short.body.expires_at).getTime() - new Date(short.body.created_at).getTime()).toBe(60_000);
    const bad = await t.request('PATCH', `/tenants/${own.id}`, { body: { settings: { hold_expiry_seconds: 200 } } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('settings.hold_expiry_seconds');
  });

  it('answers a repeated Idempotency-Key with the first hold, holding once', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const body = { items: [{ sku: 'A', quantity: 2 }] };
    const first = await own.as('POST', '/holds', { body, headers: { 'idempotency-key': 'cart-7' } });
    const again = await own.as('POST', '/holds', { body, headers: { 'idempotency-key': 'cart-7' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 2 });
  });
});

describe('changing a hold', () => {
  it('PUT /holds/:id/items moves only the difference, keeps units where they are, all or nothing', async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 5],
      ['H2', 'A', 5],
      ['H1', 'B', 2],
    ]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 4, hub: 'H2' }] } })).body;
    const changed = await own.as('PUT', `/holds/${hold.id}/items`, {
      body: {
        items: [
          { sku: 'A', quantity: 5 },
          { sku: 'B', quantity: 2 },
        ],
      },
    });
    expect(changed.status).toBe(200);
    // A stays at H2 (its hub is tried first), one more unit taken there; B comes from H1.
    expect(changed.body.lines.map((l: any) => [l.hub, l.sku, l.quantity])).toEqual(
      expect.arrayContaining([
        ['H2', 'A', 5],
        ['H1', 'B', 2],
      ]),
    );
    const moves = (await own.as('GET', '/inventory/transactions?sku=A&hub=H2')).body.data.map((r: any) => [r.reason, r.delta_held]);
    expect(moves).toEqual([
      ['hold_changed', 1],
      ['hold', 4],
      ['count', 0],
    ]);
    const short = await own.as('PUT', `/holds/${hold.id}/items`, { body: { items: [{ sku: 'B', quantity: 3 }] } });
    expect(short.status).toBe(409);
    expect(short.body.shortages).toEqual([{ sku: 'B', requested: 3, available: 2 }]);
    expect((await own.as('GET', `/holds/${hold.id}`)).body.lines).toHaveLength(2);
    const fewer = await own.as('PUT', `/holds/${hold.id}/items`, { body: { items: [{ sku: 'B', quantity: 1 }] } });
    expect(fewer.body.lines.map((l: any) => [l.hub, l.sku, l.quantity])).toEqual([['H1', 'B', 1]]);
    expect(await level(own, 'H2', 'A')).toMatchObject({ held: 0, available: 5 });
    expect(await level(own, 'H1', 'B')).toMatchObject({ held: 1, available: 1 });
    await reconciled(own);
  });

  it("PUT: a named line and an open line of one SKU share the hold's row fairly; a shortage names the line as asked", async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 4],
      ['H2', 'A', 100],
    ]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1, hub: 'H1' }] } })).body;
    const both = await own.as('PUT', `/holds/${hold.id}/items`, {
      body: {
        items: [
          { sku: 'A', quantity: 2, hub: 'H1' },
          { sku: 'A', quantity: 3 },
        ],
      },
    });
    expect(both.status).toBe(200);
    expect(both.body.lines.map((l: any) => [l.hub, l.quantity])).toEqual(
      expect.arrayContaining([
        ['H1', 2],
        ['H2', 3],
      ]),
    );
    const tight = await stockedTenant(t, [
      ['H1', 'A', 2],
      ['H2', 'A', 1],
    ]);
    const small = (await tight.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2, hub: 'H1' }] } })).body;
    const short = await tight.as('PUT', `/holds/${small.id}/items`, {
      body: {
        items: [
          { sku: 'A', quantity: 2, hub: 'H1' },
          { sku: 'A', quantity: 5 },
        ],
      },
    });
    expect(short.status).toBe(409);
    expect(short.body.shortages).toEqual([{ sku: 'A', requested: 5, available: 1 }]);
    await reconciled(own);
  });

  it('extends from now, releases once (idempotent), and refuses to change a hold that no longer holds', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }], expires_in_seconds: 60 } })).body;
    const extended = await own.as('POST', `/holds/${hold.id}/extend`, { body: { expires_in_seconds: 3600 } });
    expect(extended.status).toBe(200);
    expect(new Date(extended.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const released = await own.as('DELETE', `/holds/${hold.id}`);
    expect(released.body.status).toBe('released');
    expect((await own.as('DELETE', `/holds/${hold.id}`)).body.status).toBe('released');
    expect(await events(own, 'hold.released')).toHaveLength(1);
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 0, available: 5 });
    const again = await own.as('POST', `/holds/${hold.id}/extend`, { body: { expires_in_seconds: 60 } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('hold.not_active');
    expect((await own.as('GET', '/holds?status=released')).body.data.map((h: any) => h.id)).toEqual([hold.id]);
    expect((await own.as('GET', '/holds?status=active')).body.data).toEqual([]);
    expect((await own.as('GET', `/holds/nope`)).status).toBe(404);
    await reconciled(own);
  });
});

describe('expiry', () => {
  it('gives expired holds back exactly once, with a ledger row and a hold.expired event; a due hold cannot change', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const due = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }] } })).body;
    const live = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 1 }] } })).body;
    await expireNow(due.id);
    const stale = await own.as('POST', `/holds/${due.id}/extend`, { body: { expires_in_seconds: 60 } });
    expect(stale.body.code).toBe('hold.expired');
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 3 });
    const [first, second] = await Promise.all([t.ctx.ims.holds.expireDue(), t.ctx.ims.holds.expireDue()]);
    expect(first! + second!).toBeGreaterThanOrEqual(1);
    expect(await t.ctx.ims.holds.expireDue()).toBe(0);
    expect((await own.as('GET', `/holds/${due.id}`)).body.status).toBe('expired');
    expect((await own.as('GET', `/holds/${live.id}`)).body.status).toBe('active');
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 1, available: 4 });
    expect((await events(own, 'hold.expired')).map((e: any) => e.data.hold.id)).toEqual([due.id]);
    const ledger = (await own.as('GET', '/inventory/transactions?sku=A')).body.data;
    expect(ledger.filter((r: any) => r.reason === 'hold_expired')).toHaveLength(1);
    await reconciled(own);
  });
});

describe('POST /orders {hold_id}', () => {
  const customer = { name: 'Ann', email: 'ann@example.com' };

  it("takes the hold's units as its reservation at once: new_order, held → reserved, no unit available in between", async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 3],
      ['H2', 'A', 2],
    ]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 4 }] } })).body;
    expect(await level(own, 'H1', 'A')).toMatchObject({ held: 3, available: 0 });
    const res = await own.as('POST', '/orders', { body: { customer, items: [{ sku: 'A', quantity: 4, unit_price: 5 }], hold_id: hold.id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'new_order', hold_id: hold.id });
    expect(res.body.deliveries.map((d: any) => [d.hub, d.items[0].quantity]).sort()).toEqual([
      ['H1', 3],
      ['H2', 1],
    ]);
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 3, held: 0, available: 0 });
    expect(await level(own, 'H2', 'A')).toMatchObject({ reserved: 1, held: 0, available: 1 });
    const converted = (await own.as('GET', `/holds/${hold.id}`)).body;
    expect(converted).toMatchObject({ status: 'converted', order_id: res.body.id });
    expect((await events(own, 'hold.converted')).map((e) => e.data.hold.order_id)).toEqual([res.body.id]);
    const ledger = (await own.as('GET', '/inventory/transactions?sku=A&hub=H1')).body.data[0];
    expect(ledger).toMatchObject({ reason: 'hold_converted', delta_reserved: 3, delta_held: -3, order_id: res.body.id });
    // A hold converts once.
    const twice = await own.as('POST', '/orders', { body: { customer, items: [{ sku: 'A', quantity: 4 }], hold_id: hold.id } });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'hold.taken', order_id: res.body.id });
    expect((await own.as('DELETE', `/holds/${hold.id}`)).status).toBe(409);
    await reconciled(own);
  });

  it('checks the units as IMS will: two lines of one SKU at one hub are one demand there', async () => {
    const own = await stockedTenant(t, [
      ['H1', 'A', 3],
      ['H2', 'A', 1],
    ]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 4 }] } })).body;
    const res = await own.as('POST', '/orders', {
      body: {
        customer,
        items: [
          { sku: 'A', quantity: 2, hub: 'H1' },
          { sku: 'A', quantity: 2, hub: 'H1' },
        ],
        hold_id: hold.id,
      },
    });
    expect(res.status).toBe(422);
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 0, held: 3 });
  });

  it('hold_only: a hold that cannot be used reserves nothing (the order waits its turn instead of taking free stock)', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }] } })).body;
    await expireNow(hold.id);
    const res = await own.as('POST', '/reservations', { body: { order_id: 'o-only', items: [{ sku: 'A', quantity: 2 }], hold_id: hold.id, hold_only: true } });
    expect(res.status).toBe(409);
    expect(res.body.shortages).toEqual([]);
    expect(await level(own, 'H1', 'A')).toMatchObject({ reserved: 0, held: 2, available: 3 });
    expect((await own.as('GET', '/reservations/o-only')).status).toBe(404);
  });

  it('refuses a hold of other units (422), an expired or released one (409), and an unknown one (422)', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 5]]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }] } })).body;
    const other = await own.as('POST', '/orders', { body: { customer, items: [{ sku: 'A', quantity: 3 }], hold_id: hold.id } });
    expect(other.status).toBe(422);
    expect(other.body.errors[0]).toMatchObject({ field: 'hold_id', value: hold.id });
    await expireNow(hold.id);
    const late = await own.as('POST', '/orders', { body: { customer, items: [{ sku: 'A', quantity: 2 }], hold_id: hold.id } });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('hold.expired');
    const unknown = await own.as('POST', '/orders', {
      body: { customer, items: [{ sku: 'A', quantity: 2 }], hold_id: '00000000-0000-7000-8000-000000000000' },
    });
    expect(unknown.status).toBe(422);
    expect((await own.as('GET', '/orders')).body.data).toEqual([]);
  });

  it('a hold past its expiry whose release has not run is not converted: the order is reserved from what is available', async () => {
    const own = await stockedTenant(t, [['H1', 'A', 2]]);
    const hold = (await own.as('POST', '/holds', { body: { items: [{ sku: 'A', quantity: 2 }] } })).body;
    await expireNow(hold.id);
    const input = { order_id: 'o-late', items: [{ sku: 'A', quantity: 2 }], hold_id: hold.id };
    const refused = await own.as('POST', '/reservations', { body: input });
    expect(refused.status).toBe(409); // its units are still held, and the hold cannot give them
    expect((await own.as('GET', `/holds/${hold.id}`)).body.status).toBe('active');
    await t.ctx.ims.holds.expireDue();
    const reserved = await own.as('POST', '/reservations', { body: input });
    expect(reserved.status).toBe(200);
    expect((await own.as('GET', '/inventory/transactions?sku=A')).body.data[0]).toMatchObject({ reason: 'reserve', delta_held: 0, delta_reserved: 2 });
    expect((await own.as('GET', `/holds/${hold.id}`)).body).toMatchObject({ status: 'expired', order_id: null });
    await reconciled(own);
  });
});
