import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp, type TestTenant } from '../../test/helpers/app';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await buildTestApp();
  tenant = await t.tenant();
});
afterAll(() => t.close());

const withKey = (key: string) => ({ 'idempotency-key': key });

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, creating nothing twice', async () => {
    const first = await tenant.as('POST', '/hubs', { body: { code: 'IK-1', name: 'Hub' }, headers: withKey('k-1') });
    expect(first.status).toBe(201);
    const again = await tenant.as('POST', '/hubs', { body: { name: 'Hub', code: 'IK-1' }, headers: withKey('k-1') });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await tenant.as('GET', '/hubs?codes=IK-1')).body.data).toHaveLength(1);
    // without the key the same body is a new request (and a duplicate code)
    expect((await tenant.as('POST', '/hubs', { body: { code: 'IK-1', name: 'Hub' } })).status).toBe(409);
  });

  it('refuses the same key with another body (422), and replays stored 4xx answers too', async () => {
    await tenant.as('POST', '/hubs', { body: { code: 'IK-2', name: 'Hub' }, headers: withKey('k-2') });
    const other = await tenant.as('POST', '/hubs', { body: { code: 'IK-3', name: 'Hub' }, headers: withKey('k-2') });
    expect(other).toMatchObject({ status: 422, body: { code: 'idempotency.key_reused' } });
    expect((await tenant.as('GET', '/hubs?codes=IK-3')).body.data).toHaveLength(0);

    const dup = await tenant.as('POST', '/hubs', { body: { code: 'IK-2', name: 'Hub' }, headers: withKey('k-dup') });
    expect(dup.status).toBe(409);
    const dupAgain = await tenant.as('POST', '/hubs', { body: { code: 'IK-2', name: 'Hub' }, headers: withKey('k-dup') });
    expect(dupAgain.status).toBe(409);
    expect(dupAgain.headers['idempotent-replayed']).toBe('true');
    expect(dupAgain.headers['content-type']).toMatch(/problem\+json/);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    await t.ctx.db.query(
      `INSERT INTO api.idempotency_keys (principal, key, fingerprint, status, expires_at)
       VALUES ($1, 'k-running', 'x', 'running', now() + interval '1 hour')`,
      [`tenant:${tenant.id}`],
    );
    const res = await tenant.as('POST', '/hubs', { body: { code: 'IK-4', name: 'Hub' }, headers: withKey('k-running') });
    expect(res.status).toBe(422); // another fingerprint
    await t.ctx.db.query(`UPDATE api.idempotency_keys SET fingerprint = 'y' WHERE key = 'k-running'`);
    const racing = await Promise.all(
      [1, 2, 3].map(() => tenant.as('POST', '/categories', { body: { code: 'RACE', name: 'Cat' }, headers: withKey('k-race') })),
    );
    // One request ran; the others either waited for nothing (409 in progress) or replayed it.
    expect(racing.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(racing.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect((await tenant.as('GET', '/categories?codes=RACE')).body.data).toHaveLength(1);
  });

  it('keys are per caller: another tenant may use the same key', async () => {
    const other = await t.tenant();
    await tenant.as('POST', '/sellers', { body: { code: 'S', name: 'Seller' }, headers: withKey('shared') });
    const res = await other.as('POST', '/sellers', { body: { code: 'S', name: 'Seller' }, headers: withKey('shared') });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('takes over an abandoned running key, and forgets expired ones', async () => {
    const body = { code: 'IK-5', name: 'Hub' };
    const first = await tenant.as('POST', '/hubs', { body, headers: withKey('k-stale') });
    await t.ctx.db.query(`UPDATE api.idempotency_keys SET status = 'running', locked_at = now() - interval '2 minutes' WHERE key = 'k-stale'`);
    // the crashed first attempt did create the hub; the takeover re-runs and meets the duplicate
    expect((await tenant.as('POST', '/hubs', { body, headers: withKey('k-stale') })).status).toBe(409);
    expect(first.status).toBe(201);
    await t.ctx.db.query(`UPDATE api.idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-1'`);
    expect(await t.ctx.idempotency.purgeExpired()).toBe(1);
  });

  it('rejects a malformed key, and is not offered where a replay would leak a secret', async () => {
    const bad = await tenant.as('POST', '/hubs', { body: { code: 'IK-6', name: 'H' }, headers: withKey('x'.repeat(256)) });
    expect(bad).toMatchObject({ status: 422, body: { errors: [{ field: 'Idempotency-Key' }] } });
    const a = await t.request('POST', `/tenants/${tenant.id}/api-keys`, { headers: withKey('key-1') });
    const b = await t.request('POST', `/tenants/${tenant.id}/api-keys`, { headers: withKey('key-1') });
    expect(a.body.key).not.toBe(b.body.key);
  });
});
