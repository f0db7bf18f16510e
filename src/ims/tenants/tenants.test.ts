import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildTestApp, type TestApp } from '../../../test/helpers/app';
import { loadConfig } from '../../config/index';
import { createContext } from '../../context';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('tenants (admin)', () => {
  it('creates, lists, gets by id or code, and patches a tenant with merged settings', async () => {
    const created = await t.request('POST', '/tenants', { body: { code: 'acme', name: 'Acme', settings: { backorder_policy: 'cancel' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'acme', name: 'Acme', settings: { backorder_policy: 'cancel', currency: 'USD' } });
    const id = created.body.id;

    expect((await t.request('GET', `/tenants/${id}`)).body.code).toBe('acme');
    expect((await t.request('GET', '/tenants/acme')).body.id).toBe(id);
    const listed = await t.request('GET', '/tenants?codes=acme');
    expect(listed.body.data.map((x: { id: string }) => x.id)).toEqual([id]);

    const patched = await t.request('PATCH', `/tenants/${id}`, { body: { settings: { currency: 'EGP' } } });
    expect(patched.body.settings).toEqual({
      backorder_policy: 'cancel',
      currency: 'EGP',
      allocation: 'single_hub_first',
      hold_expiry_seconds: 900,
      hold_expiry_max_seconds: 86_400,
    });
  });

  it('refuses duplicate codes (409), bad settings (422), unknown tenants (404)', async () => {
    await t.request('POST', '/tenants', { body: { code: 'dup', name: 'One' } });
    expect((await t.request('POST', '/tenants', { body: { code: 'dup', name: 'Two' } })).status).toBe(409);
    const bad = await t.request('POST', '/tenants', { body: { code: 'x y', name: 'X', settings: { backorder_policy: 'maybe', currency: 'usd' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['code', 'settings.backorder_policy', 'settings.currency']);
    expect((await t.request('GET', '/tenants/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('pages through tenants with a cursor, without repeats', async () => {
    for (let i = 0; i < 5; i++) await t.request('POST', '/tenants', { body: { code: `page-${i}`, name: `P${i}` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { id: string }[]; next_cursor: string | null } } = await t.request(
        'GET',
        `/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.data.map((x) => x.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect((await t.request('GET', '/tenants?cursor=garbage')).status).toBe(422);
  });
});

describe('API keys', () => {
  it('issues a key shown once, lists keys without it, and revokes it', async () => {
    const tenant = await t.tenant();
    expect((await tenant.as('GET', '/hubs')).status).toBe(200);
    const keys = await t.request('GET', `/tenants/${tenant.id}/api-keys`);
    expect(keys.body.data).toHaveLength(1);
    expect(JSON.stringify(keys.body)).not.toContain(tenant.key);
    const stored = await t.ctx.db.query<{ key_hash: string }>('SELECT key_hash FROM ims.api_keys WHERE tenant_id = $1', [tenant.id]);
    expect(stored[0]!.key_hash).not.toContain(tenant.key);

    expect((await t.request('DELETE', `/api-keys/${keys.body.data[0].id}`)).status).toBe(204);
    expect((await t.request('DELETE', `/api-keys/${keys.body.data[0].id}`)).status).toBe(204);
    expect((await tenant.as('GET', '/hubs')).status).toBe(401);
    expect((await t.request('DELETE', '/api-keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('a tenant key on an admin route is 403', async () => {
    const tenant = await t.tenant();
    for (const [method, url] of [
      ['GET', '/tenants'],
      ['POST', `/tenants/${tenant.id}/api-keys`],
      ['GET', `/tenants/${tenant.id}`],
    ] as const) {
      expect((await tenant.as(method, url)).status).toBe(403);
    }
  });

  it('the admin acts for a tenant through X-Tenant-Id (id or code); without it tenant routes say so', async () => {
    const tenant = await t.tenant();
    await tenant.as('POST', '/hubs', { body: { code: 'H1', name: 'Hub' } });
    const byId = await t.request('GET', '/hubs', { headers: { 'x-tenant-id': tenant.id } });
    expect(byId.body.data.map((h: { code: string }) => h.code)).toEqual(['H1']);
    const byCode = await t.request('GET', '/hubs', { headers: { 'x-tenant-id': tenant.code } });
    expect(byCode.body.data).toHaveLength(1);
    expect((await t.request('GET', '/hubs')).body.code).toBe('auth.tenant_required');
    expect((await t.request('GET', '/hubs', { headers: { 'x-tenant-id': 'nobody' } })).status).toBe(404);
  });

  it('generates an admin key once on a new database when none is configured', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const ctx = createContext({ config, logger: pino({ level: 'silent' }), db: t.ctx.db });
    const first = await ctx.auth.ensureAdminKey();
    expect(first).toMatch(/^oms_/);
    expect(await ctx.auth.ensureAdminKey()).toBeUndefined();
    expect(await ctx.auth.authenticate(first!)).toEqual({ kind: 'admin' });
    expect(await ctx.auth.authenticate(`${first}x`)).toBeUndefined();
  });
});
