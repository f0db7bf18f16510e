import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, type TestApp } from '../../../test/helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

const body = (over: Record<string, unknown> = {}) => ({ url: 'https://hooks.example.com/oms', events: ['order.created', 'order.updated'], ...over });

describe('webhook endpoints', () => {
  it('create shows a generated secret once; reads never show it', async () => {
    const shop = await t.tenant();
    const created = await expectStatus(shop.as('POST', '/webhooks', { body: body({ description: 'ERP' }) }), 201);
    expect(created.body).toMatchObject({
      url: 'https://hooks.example.com/oms',
      events: ['order.created', 'order.updated'],
      active: true,
      description: 'ERP',
      disabled_reason: null,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await expectStatus(shop.as('GET', `/webhooks/${created.body.id}`), 200);
    expect(got.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await shop.as('GET', '/webhooks')).body)).not.toContain(created.body.secret);
    expect(await t.ctx.oms.endpoints.activeSecrets(shop.id, created.body.id)).toEqual([created.body.secret]);
  });

  it('refuses bad URLs, unknown events and malformed secrets, naming the field', async () => {
    const shop = await t.tenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://x.example.com/' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pw@x.example.com/' }, 'url'],
      [{ url: `https://x.example.com/${'a'.repeat(2048)}` }, 'url'],
      [{ url: 'http://127.0.0.1:9/x' }, 'url'],
      [{ url: 'http://[::1]/x' }, 'url'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'url'],
      [{ url: 'http://10.0.0.5/x' }, 'url'],
      [{ url: 'http://localhost/x' }, 'url'],
      [{ events: ['order.exploded'] }, 'events[0]'],
      [{ events: [] }, 'events'],
      [{ secret: 'hunter2' }, 'secret'],
    ];
    for (const [over, field] of cases) {
      const res = await expectStatus(shop.as('POST', '/webhooks', { body: body(over) }), 422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(over),
      ).toContain(field);
    }
    expect((await shop.as('GET', '/webhooks')).body.data).toHaveLength(0);
  });

  it('update, disable and re-enable, delete', async () => {
    const shop = await t.tenant();
    const { id } = (await expectStatus(shop.as('POST', '/webhooks', { body: body() }), 201)).body;
    const changed = await expectStatus(shop.as('PUT', `/webhooks/${id}`, { body: { events: ['order.deleted'], url: 'https://other.example.com/h' } }), 200);
    expect(changed.body).toMatchObject({ events: ['order.deleted'], url: 'https://other.example.com/h', active: true });
    expect((await expectStatus(shop.as('PUT', `/webhooks/${id}`, { body: { active: false } }), 200)).body).toMatchObject({
      active: false,
      disabled_reason: 'disabled by the tenant',
    });
    expect((await expectStatus(shop.as('PUT', `/webhooks/${id}`, { body: { active: true } }), 200)).body).toMatchObject({
      active: true,
      disabled_reason: null,
      failing_since: null,
    });
    await expectStatus(shop.as('PUT', `/webhooks/${id}`, { body: {} }), 422);
    await expectStatus(shop.as('PUT', `/webhooks/${id}`, { body: { url: 'http://192.168.1.1/' } }), 422);
    await expectStatus(shop.as('DELETE', `/webhooks/${id}`), 204);
    await expectStatus(shop.as('GET', `/webhooks/${id}`), 404);
    await expectStatus(shop.as('DELETE', `/webhooks/${id}`), 404);
  });

  it('rotating the secret keeps the previous one signing for 24 hours', async () => {
    const shop = await t.tenant();
    const created = (await expectStatus(shop.as('POST', '/webhooks', { body: body() }), 201)).body;
    const rotated = await expectStatus(shop.as('POST', `/webhooks/${created.id}/secrets`), 201);
    expect(rotated.body.secret).not.toBe(created.secret);
    const hours = (new Date(rotated.body.previous_secrets_expire_at).getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    expect(await t.ctx.oms.endpoints.activeSecrets(shop.id, created.id)).toEqual([created.secret, rotated.body.secret]);
    await t.ctx.db.query(`UPDATE oms.webhook_secrets SET expires_at = now() - interval '1 second' WHERE endpoint_id = $1 AND secret = $2`, [
      created.id,
      created.secret,
    ]);
    expect(await t.ctx.oms.endpoints.activeSecrets(shop.id, created.id)).toEqual([rotated.body.secret]);
  });

  it('each tenant sees and changes only its own endpoints', async () => {
    const own = await t.tenant();
    const other = await t.tenant();
    const { id } = (await expectStatus(own.as('POST', '/webhooks', { body: body() }), 201)).body;
    await expectStatus(other.as('GET', `/webhooks/${id}`), 404);
    await expectStatus(other.as('PUT', `/webhooks/${id}`, { body: { active: false } }), 404);
    await expectStatus(other.as('POST', `/webhooks/${id}/secrets`), 404);
    await expectStatus(other.as('DELETE', `/webhooks/${id}`), 404);
    expect((await other.as('GET', '/webhooks')).body.data).toHaveLength(0);
    expect((await expectStatus(own.as('GET', `/webhooks/${id}`), 200)).body.active).toBe(true);
  });
});
