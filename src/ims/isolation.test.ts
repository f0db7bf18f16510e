/**
 * Tenant isolation: for every IMS route, tenant B's key on tenant A's resources answers 404
 * (or acts on B's own, empty world) and changes nothing of A's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, type TestApp, type TestTenant } from '../../test/helpers/app';
import { CATALOG } from './catalog/resources';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await buildTestApp();
  a = await t.tenant();
  b = await t.tenant();
  await a.as('POST', '/sellers', { body: { code: 'SEL', name: 'A seller' } });
  await a.as('POST', '/categories', { body: { code: 'CAT', name: 'A category' } });
  await seedCatalog(a, { hubs: ['HUB'], skus: ['SKU'], stock: [['HUB', 'SKU', 10]] });
  for (const { kind, path } of Object.values(CATALOG)) {
    ids[kind] = (await a.as('GET', `/${path}?codes=${kind === 'seller' ? 'SEL' : kind === 'category' ? 'CAT' : kind.toUpperCase()}`)).body.data[0].id;
  }
  await a.as('POST', '/reservations', { body: { order_id: 'A-ORDER', hub: 'HUB', items: [{ sku: 'SKU', quantity: 2 }] } });
});
afterAll(() => t.close());

async function aStateUnchanged() {
  const level = (await a.as('GET', '/inventory?hub=HUB&skus=SKU')).body.data[0];
  expect(level).toMatchObject({ on_hand: 10, reserved: 2 });
  expect((await a.as('GET', '/reservations/A-ORDER')).body.status).toBe('reserved');
  for (const { kind, path } of Object.values(CATALOG)) {
    expect((await a.as('GET', `/${path}/${ids[kind]}`)).status).toBe(200);
  }
}

describe('tenant B cannot see or change tenant A', () => {
  it.each(Object.values(CATALOG))('$path: get, patch, delete by id or code are 404; list shows nothing of A', async ({ kind, path }) => {
    const code = (await a.as('GET', `/${path}/${ids[kind]}`)).body.code;
    for (const ref of [ids[kind]!, code]) {
      expect((await b.as('GET', `/${path}/${ref}`)).status).toBe(404);
      expect((await b.as('PATCH', `/${path}/${ref}`, { body: { name: 'hijacked' } })).status).toBe(404);
      expect((await b.as('DELETE', `/${path}/${ref}`)).status).toBe(404);
    }
    expect((await b.as('GET', `/${path}?ids=${ids[kind]}`)).body.data).toEqual([]);
    expect((await b.as('GET', `/${path}?codes=${code}`)).body.data).toEqual([]);
    expect((await b.as('GET', `/${path}`)).body.data).toEqual([]);
    expect((await a.as('GET', `/${path}/${ids[kind]}`)).body.name).not.toBe('hijacked');
  });

  it('inventory: B cannot read, count or adjust A’s stock, by code or by id', async () => {
    for (const [hub, sku] of [
      ['HUB', 'SKU'],
      [ids.hub!, ids.sku!],
    ]) {
      expect((await b.as('GET', `/inventory?hub=${hub}&skus=${sku}`)).status).toBe(422);
      const put = await b.as('PUT', '/inventory', { body: { hub, sku, on_hand: 0 } });
      expect(put.status).toBe(422);
      expect((await b.as('PUT', '/inventory', { body: [{ hub, sku, delta: -5 }] })).status).toBe(422);
    }
    expect((await b.as('GET', '/inventory/transactions')).body.data).toEqual([]);
    expect((await b.as('GET', '/inventory/transactions?order_id=A-ORDER')).body.data).toEqual([]);
    expect((await b.as('GET', `/inventory/transactions?hub=HUB`)).status).toBe(422);
    expect((await b.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
    await aStateUnchanged();
  });

  it('inventory: B cannot reference A’s hub or SKU from its own catalog', async () => {
    await seedCatalog(b, { hubs: ['B-HUB'], skus: ['B-SKU'] });
    expect((await b.as('PUT', '/inventory', { body: { hub: 'B-HUB', sku: ids.sku, on_hand: 5 } })).status).toBe(422);
    expect((await b.as('POST', '/skus', { body: { code: 'B2', name: 'x', seller_id: ids.seller } })).status).toBe(422);
    expect((await b.as('POST', '/skus', { body: { code: 'B3', name: 'x', category_id: 'CAT' } })).status).toBe(422);
  });

  it('reservations: B cannot read, release, commit or reserve against A', async () => {
    expect((await b.as('GET', '/reservations/A-ORDER')).status).toBe(404);
    expect((await b.as('DELETE', '/reservations/A-ORDER')).status).toBe(404);
    expect((await b.as('POST', '/reservations/A-ORDER/commit')).status).toBe(404);
    const reserve = await b.as('POST', '/reservations', { body: { order_id: 'A-ORDER', hub: 'HUB', items: [{ sku: 'SKU', quantity: 1 }] } });
    expect(reserve.status).toBe(422);
    // The same order id in B's own world is B's own reservation, not A's.
    await seedCatalog(b, { stock: [['B-HUB', 'B-SKU', 1]] });
    expect((await b.as('POST', '/reservations', { body: { order_id: 'A-ORDER', hub: 'B-HUB', items: [{ sku: 'B-SKU', quantity: 1 }] } })).status).toBe(200);
    await aStateUnchanged();
  });

  it('a tenant key cannot borrow another tenant through X-Tenant-Id', async () => {
    const res = await b.as('GET', '/hubs', { headers: { 'x-tenant-id': a.id } });
    expect(res.status).toBe(200);
    expect(res.body.data.map((h: { code: string }) => h.code)).not.toContain('HUB');
    expect((await b.as('GET', `/hubs/${ids.hub}`, { headers: { 'x-tenant-id': a.code } })).status).toBe(404);
  });

  it('the database refuses a row that points at another tenant’s hub', async () => {
    const bHub = (await b.as('GET', '/hubs/B-HUB')).body.id;
    await expect(
      t.ctx.db.query('INSERT INTO ims.stock_levels (tenant_id, hub_id, sku_id, on_hand) VALUES ($1, $2, $3, 1)', [a.id, bHub, ids.sku]),
    ).rejects.toMatchObject({ code: '23503' });
  });
});
