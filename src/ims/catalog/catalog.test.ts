import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { CATALOG } from './resources';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await buildTestApp();
  tenant = await t.tenant();
});
afterAll(() => t.close());

describe.each(Object.values(CATALOG))('$path', ({ path }) => {
  it('creates, gets by id and by code, patches and deletes', async () => {
    const created = await tenant.as('POST', `/${path}`, { body: { code: 'C-1', name: 'First' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'C-1', name: 'First' });
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const id = created.body.id;

    expect((await tenant.as('GET', `/${path}/${id}`)).body.code).toBe('C-1');
    expect((await tenant.as('GET', `/${path}/C-1`)).body.id).toBe(id);

    const patched = await tenant.as('PATCH', `/${path}/${id}`, { body: { name: 'Renamed', code: 'C-1b' } });
    expect(patched).toMatchObject({ status: 200, body: { name: 'Renamed', code: 'C-1b' } });
    expect((await tenant.as('GET', `/${path}/C-1`)).status).toBe(404);

    expect((await tenant.as('DELETE', `/${path}/${id}`)).status).toBe(204);
    expect((await tenant.as('GET', `/${path}/${id}`)).status).toBe(404);
    expect((await tenant.as('DELETE', `/${path}/${id}`)).status).toBe(404);
  });

  it('keeps codes unique per tenant (409), but another tenant may reuse one', async () => {
    await tenant.as('POST', `/${path}`, { body: { code: 'DUP', name: 'One' } });
    const again = await tenant.as('POST', `/${path}`, { body: { code: 'DUP', name: 'Two' } });
    expect(again).toMatchObject({ status: 409, body: { code: 'resource.duplicate_code' } });
    const other = await t.tenant();
    expect((await other.as('POST', `/${path}`, { body: { code: 'DUP', name: 'Mine' } })).status).toBe(201);
    await tenant.as('POST', `/${path}`, { body: { code: 'DUP-2', name: 'Two' } });
    expect((await tenant.as('PATCH', `/${path}/DUP-2`, { body: { code: 'DUP' } })).status).toBe(409);
  });

  it('validates codes, names and unknown fields', async () => {
    for (const code of ['has space', 'x'.repeat(65), '', 'semi;colon', 'ünïcode']) {
      const res = await tenant.as('POST', `/${path}`, { body: { code, name: 'N' } });
      expect(res.status, code).toBe(422);
      expect(res.body.errors[0].field).toBe('code');
    }
    expect((await tenant.as('POST', `/${path}`, { body: { code: 'x'.repeat(64), name: 'N' } })).status).toBe(201);
    const extra = await tenant.as('POST', `/${path}`, { body: { code: 'OK', name: 'N', colour: 'red' } });
    expect(extra.body.errors).toEqual([{ field: 'colour', message: 'is not a known field' }]);
    const wrongType = await tenant.as('POST', `/${path}`, { body: { code: 5, name: ['x'] } });
    expect(wrongType.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['code', 'name']);
    const empty = await tenant.as('PATCH', `/${path}/${'x'.repeat(64)}`, { body: {} });
    expect(empty.body.errors).toEqual([{ field: 'body', message: 'must change at least one field' }]);
  });

  it('stores SQL-looking text verbatim', async () => {
    const name = "Robert'); DROP TABLE ims.hubs;-- \u0000".replace('\u0000', '');
    const res = await tenant.as('POST', `/${path}`, { body: { code: "x'--", name } });
    expect(res.status).toBe(422); // quotes are not allowed in codes
    const ok = await tenant.as('POST', `/${path}`, { body: { code: 'SQLI', name } });
    expect(ok.status).toBe(201);
    expect((await tenant.as('GET', `/${path}/SQLI`)).body.name).toBe(name);
  });

  it('lists with ids and codes filters and a cursor', async () => {
    const own = await t.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await own.as('POST', `/${path}`, { body: { code: `L-${i}`, name: `L${i}` } })).body.id);
    const pages: string[] = [];
    let url = `/${path}?limit=3`;
    for (;;) {
      const res = await own.as('GET', url);
      expect(res.status).toBe(200);
      pages.push(...res.body.data.map((x: { id: string }) => x.id));
      if (!res.body.next_cursor) break;
      url = `/${path}?limit=3&cursor=${res.body.next_cursor}`;
    }
    expect(pages).toEqual(ids); // ids are time-ordered: creation order, no repeats, no gaps
    const byCodes = await own.as('GET', `/${path}?codes=L-1,L-3,nope`);
    expect(byCodes.body.data.map((x: { code: string }) => x.code)).toEqual(['L-1', 'L-3']);
    const byIds = await own.as('GET', `/${path}?ids=${ids[2]},${ids[4]},not-a-uuid`);
    expect(byIds.body.data.map((x: { id: string }) => x.id)).toEqual([ids[2], ids[4]]);
    for (const bad of ['limit=0', 'limit=501', 'limit=abc', 'cursor=%%%', 'color=red']) {
      expect((await own.as('GET', `/${path}?${bad}`)).status, bad).toBe(422);
    }
  });
});

describe('SKU references and deletion rules', () => {
  it('a SKU names its seller and category by code or id; unknown ones are 422', async () => {
    const own = await t.tenant();
    const seller = (await own.as('POST', '/sellers', { body: { code: 'S1', name: 'Seller' } })).body;
    await own.as('POST', '/categories', { body: { code: 'CAT', name: 'Cat' } });
    const sku = await own.as('POST', '/skus', {
      body: { code: 'SKU-1', name: 'Thing', seller_id: 'S1', category_id: 'CAT', attributes: { colour: 'red', size: 42 } },
    });
    expect(sku.status).toBe(201);
    expect(sku.body).toMatchObject({ seller_id: seller.id, attributes: { colour: 'red', size: 42 } });
    const byId = await own.as('POST', '/skus', { body: { code: 'SKU-2', name: 'Other', seller_id: seller.id } });
    expect(byId.body.seller_id).toBe(seller.id);
    const unknown = await own.as('POST', '/skus', { body: { code: 'SKU-3', name: 'X', seller_id: 'NOPE', category_id: 'NOPE' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toEqual(['seller_id', 'category_id']);
    // another tenant's seller is unknown here
    const stranger = await t.tenant();
    await stranger.as('POST', '/sellers', { body: { code: 'THEIRS', name: 'X' } });
    expect((await own.as('POST', '/skus', { body: { code: 'SKU-4', name: 'X', seller_id: 'THEIRS' } })).status).toBe(422);

    expect((await own.as('DELETE', '/sellers/S1')).status).toBe(409);
    expect((await own.as('PATCH', '/skus/SKU-1', { body: { seller_id: null, attributes: null } })).body).toMatchObject({ seller_id: null, attributes: null });
    expect((await own.as('PATCH', '/skus/SKU-2', { body: { seller_id: null } })).status).toBe(200);
    expect((await own.as('DELETE', '/sellers/S1')).status).toBe(204);
  });

  it('a hub or SKU holding stock cannot be deleted (409); an empty one can', async () => {
    const own = await t.tenant();
    await seedCatalog(own, {
      hubs: ['H1', 'H2'],
      skus: ['A', 'B'],
      stock: [
        ['H1', 'A', 5],
        ['H2', 'B', 0],
      ],
    });
    expect((await own.as('DELETE', '/hubs/H1')).body.code).toBe('resource.in_use');
    expect((await own.as('DELETE', '/skus/A')).status).toBe(409);
    await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 0 } });
    expect((await own.as('DELETE', '/skus/A')).status).toBe(204);
    expect((await own.as('DELETE', '/hubs/H2')).status).toBe(204);
    // the audit trail outlives the SKU
    const trail = await own.as('GET', '/inventory/transactions');
    expect(trail.body.data.length).toBe(2);
    expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
  });

  it('a hub with a reservation cannot be deleted', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H'], skus: ['A'], stock: [['H', 'A', 3]] });
    await own.as('POST', '/reservations', { body: { order_id: 'o1', hub: 'H', items: [{ sku: 'A', quantity: 1 }] } });
    expect((await own.as('DELETE', '/hubs/H')).status).toBe(409);
  });

  it('look-ups see a renamed code at once (the cache is invalidated on write)', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['OLD'], skus: ['S'] });
    expect((await own.as('PUT', '/inventory', { body: { hub: 'OLD', sku: 'S', on_hand: 1 } })).status).toBe(200);
    await own.as('PATCH', '/hubs/OLD', { body: { code: 'NEW' } });
    expect((await own.as('PUT', '/inventory', { body: { hub: 'OLD', sku: 'S', on_hand: 2 } })).status).toBe(422);
    expect((await own.as('PUT', '/inventory', { body: { hub: 'NEW', sku: 'S', on_hand: 2 } })).body.on_hand).toBe(2);
  });
});
