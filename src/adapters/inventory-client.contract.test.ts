/**
 * The InventoryClient contract, run against both implementations: in-process, and HTTP against
 * a real IMS listening on a loopback port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, buildTestApp, seedCatalog, type TestApp, type TestTenant } from '../../test/helpers/app';
import { AppError } from '../shared/errors';
import { HttpInventoryClient } from './inventory/http';
import { MAX_RESERVATIONS_PER_BATCH } from '../ims/reservations/service';
import type { InventoryClient } from '../ports/inventory-client';

let t: TestApp;
let own: TestTenant;
let http: HttpInventoryClient;
const clients: Record<string, () => InventoryClient> = {
  'in-process': () => t.ctx.oms.inventory,
  http: () => http,
};

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  http = new HttpInventoryClient({ url: `http://127.0.0.1:${address.port}`, apiKey: ADMIN_KEY });
  own = await t.tenant();
  await own.as('POST', '/sellers', { body: { code: 'SEL', name: 'Seller' } });
  await seedCatalog(own, {
    hubs: ['H'],
    skus: ['A', 'B'],
    stock: [
      ['H', 'A', 10],
      ['H', 'B', 10],
    ],
  });
});
afterAll(async () => {
  await http.close();
  await t.close();
});

/** What the IMS's own API says the level is: the clients' effects are checked against it. */
const levelOf = async (sku: 'A' | 'B') => {
  const [level] = (await own.as('GET', `/inventory?hub=H&skus=${sku}`)).body.data as { on_hand: number; reserved: number }[];
  return { on_hand: level!.on_hand, reserved: level!.reserved };
};

describe.each(Object.keys(clients))('InventoryClient (%s)', (name) => {
  const client = () => clients[name]!();
  const order = (n: string) => `${name}-${n}`;

  it('resolves codes and ids; unknown refs are absent', async () => {
    const hubs = await client().resolve(own.id, 'hub', ['H', 'NOPE']);
    expect([...hubs.keys()]).toEqual(['H']);
    const id = hubs.get('H')!.id;
    const byId = await client().resolve(own.id, 'hub', [id]);
    expect(byId.get(id)).toMatchObject({ code: 'H' });
    expect((await client().resolve(own.id, 'seller', ['SEL'])).get('SEL')?.code).toBe('SEL');
    expect((await client().resolve(own.id, 'sku', ['A', 'B', 'C'])).size).toBe(2);
  });

  it('reads tenant settings and stock totals', async () => {
    expect(await client().tenantSettings(own.id)).toEqual({
      backorder_policy: 'hold',
      currency: 'USD',
      allocation: 'single_hub_first',
      hold_expiry_seconds: 900,
      hold_expiry_max_seconds: 86_400,
    });
    const [a, b] = [await levelOf('A'), await levelOf('B')];
    expect(await client().stats(own.id)).toEqual({ skus: 2, units_on_hand: a.on_hand + b.on_hand, units_reserved: a.reserved + b.reserved, units_held: 0 });
  });

  it('reserves, replays, and reports shortages', async () => {
    const before = await levelOf('A');
    const input = { order_id: order('r1'), hub: 'H', items: [{ sku: 'A', quantity: 1 }] };
    const first = await client().reserve(own.id, input);
    expect(first).toMatchObject({ outcome: 'reserved', reservation: { order_id: order('r1'), status: 'reserved', items: [{ sku: 'A', quantity: 1 }] } });
    expect(await levelOf('A')).toEqual({ on_hand: before.on_hand, reserved: before.reserved + 1 });
    expect((await client().reserve(own.id, input)).outcome).toMatch(/reserved|replayed/);
    expect(await levelOf('A')).toEqual({ on_hand: before.on_hand, reserved: before.reserved + 1 }); // taken once
    const short = await client().reserve(own.id, { order_id: order('r2'), hub: 'H', items: [{ sku: 'A', quantity: 1000 }] });
    expect(short).toEqual({
      outcome: 'insufficient',
      order_id: order('r2'),
      shortages: [{ sku: 'A', hub: 'H', requested: 1000, available: before.on_hand - before.reserved - 1 }],
    });
    expect(await levelOf('A')).toEqual({ on_hand: before.on_hand, reserved: before.reserved + 1 }); // nothing taken
    await expect(client().reserve(own.id, { order_id: order('r3'), hub: 'NOPE', items: [{ sku: 'A', quantity: 1 }] })).rejects.toMatchObject({ status: 422 });
  });

  it('reserves many at once', async () => {
    const before = await levelOf('B');
    const results = await client().reserveMany(own.id, [
      { order_id: order('m1'), hub: 'H', items: [{ sku: 'B', quantity: 1 }] },
      { order_id: order('m2'), hub: 'H', items: [{ sku: 'B', quantity: 1000 }] },
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['reserved', 'insufficient']);
    expect(await levelOf('B')).toEqual({ on_hand: before.on_hand, reserved: before.reserved + 1 });
  });

  it('reserves more orders than one IMS batch takes, oldest first, in request order', async () => {
    const before = await levelOf('A');
    const count = MAX_RESERVATIONS_PER_BATCH + 2;
    const inputs = Array.from({ length: count }, (_, n) => ({ order_id: order(`many-${n}`), hub: 'H', items: [{ sku: 'A', quantity: 1 }] }));
    const results = await client().reserveMany(own.id, inputs);
    // Only the oldest `before.on_hand - before.reserved` fit; the answers come back one per input, in its order.
    const free = before.on_hand - before.reserved;
    expect(results.map((r) => (r.outcome === 'insufficient' ? r.order_id : r.reservation.order_id))).toEqual(inputs.map((i) => i.order_id));
    expect(results.map((r) => r.outcome)).toEqual(inputs.map((_, n) => (n < free ? 'reserved' : 'insufficient')));
    expect(await levelOf('A')).toEqual({ on_hand: before.on_hand, reserved: before.on_hand });
    for (const { order_id } of inputs.slice(0, free)) await client().release(own.id, order_id);
  });

  it('releases and commits idempotently', async () => {
    const before = await levelOf('B');
    await client().reserve(own.id, { order_id: order('c1'), hub: 'H', items: [{ sku: 'B', quantity: 1 }] });
    expect((await client().commit(own.id, order('c1'))).status).toBe('committed');
    expect((await client().commit(own.id, order('c1'))).status).toBe('committed');
    expect(await levelOf('B')).toEqual({ on_hand: before.on_hand - 1, reserved: before.reserved }); // shipped once
    await client().reserve(own.id, { order_id: order('c2'), hub: 'H', items: [{ sku: 'B', quantity: 1 }] });
    expect((await client().release(own.id, order('c2')))?.status).toBe('released');
    expect((await client().release(own.id, order('c2')))?.status).toBe('released');
    expect(await levelOf('B')).toEqual({ on_hand: before.on_hand - 1, reserved: before.reserved }); // given back once
    expect(await client().release(own.id, order('never'))).toBeUndefined();
    const refused = await client()
      .commit(own.id, order('c2'))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 409, code: 'reservation.closed' });
  });
});

describe('InventoryClient (http) against an IMS answering another shape', () => {
  it('names the route and the field instead of passing the answer on', async () => {
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ results: [{ order_id: 'x', status: 'reserved', replayed: 'no' }] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const odd = new HttpInventoryClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: ADMIN_KEY });
    try {
      await expect(odd.reserveMany(own.id, [{ order_id: 'x', hub: 'H', items: [{ sku: 'A', quantity: 1 }] }])).rejects.toThrow(
        /POST \/reservations\/batch with an unexpected body: \/results\/0\/replayed must be boolean/,
      );
    } finally {
      await odd.close();
      server.close();
    }
  });
});
