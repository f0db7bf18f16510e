import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp, type TestTenant } from '../../test/helpers/app';

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await buildTestApp({ MAX_BODY_BYTES: '4096' });
  // A route that fails the way a bug would: its message carries SQL and a secret.
  t.app.get('/boom', { config: { access: 'public' } }, async () => {
    throw new Error('SELECT key_hash FROM ims.api_keys WHERE secret = hunter2');
  });
  tenant = await t.tenant();
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  it('answers /health and /ready without a key', async () => {
    expect(await t.request('GET', '/health', { key: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await t.request('GET', '/ready', { key: null })).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('serves Prometheus metrics with per-route request counts, latency and reservation outcomes', async () => {
    await t.request('GET', '/health', { key: null });
    await tenant.as('POST', '/reservations', { body: { order_id: 'm-1', hub: 'nope', items: [{ sku: 'x', quantity: 1 }] } });
    const res = await t.request('GET', '/metrics', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health"\}/);
    expect(res.text).toContain('ims_reservation_outcomes_total');
  });

  it('publishes an OpenAPI document covering every API route, and Swagger UI', async () => {
    const doc = await t.request('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of [
      '/tenants',
      '/hubs/{id}',
      '/skus',
      '/inventory',
      '/inventory/transactions',
      '/inventory/reconcile',
      '/reservations',
      '/reservations/{order_id}/commit',
      '/reservations/{order_id}/settlements',
      '/orders/{id}/deliveries',
      '/orders/{id}/deliveries/{delivery_id}/ship',
      '/orders/{id}/deliveries/{delivery_id}/deliver',
      '/orders/{id}/returns',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.paths['/reservations'].post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['order_id', 'items']));
    const ui = await t.request('GET', '/docs/', { key: null });
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});

describe('errors are problem+json', () => {
  it('401 without a key, with a bad key; both in problem+json with WWW-Authenticate', async () => {
    const missing = await t.request('GET', '/hubs', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body).toMatchObject({ status: 401, code: 'auth.missing_key', title: 'Unauthorized' });
    const bad = await t.request('GET', '/hubs', { key: 'oms_not-a-real-key' });
    expect(bad.body).toMatchObject({ status: 401, code: 'auth.invalid_key' });
  });

  it('accepts the key in X-API-Key too', async () => {
    const res = await t.request('GET', '/hubs', { key: null, headers: { 'x-api-key': tenant.key } });
    expect(res.status).toBe(200);
  });

  it('404 for an unknown route', async () => {
    const res = await tenant.as('GET', '/no-such-thing');
    expect(res).toMatchObject({ status: 404, body: { code: 'route.not_found' } });
  });

  it('400 for malformed JSON', async () => {
    const res = await tenant.as('POST', '/hubs', { payload: '{"code": "A",', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, code: 'request.malformed_json' });
  });

  it('413 for a body over the limit, 415 for a wrong media type', async () => {
    const big = await tenant.as('POST', '/hubs', {
      payload: JSON.stringify({ code: 'A', name: 'x'.repeat(5000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big).toMatchObject({ status: 413, body: { code: 'request.too_large' } });
    const xml = await tenant.as('POST', '/hubs', { payload: '<hub/>', headers: { 'content-type': 'application/xml' } });
    expect(xml).toMatchObject({ status: 415, body: { code: 'request.unsupported_media_type' } });
  });

  it('422 names every bad field at once', async () => {
    const res = await tenant.as('POST', '/reservations', {
      body: {
        order_id: 'has space',
        hub: '',
        items: [
          { sku: 'A', quantity: 0 },
          { sku: 'B', quantity: 1.5 },
          { quantity: 'x', extra: 1 },
        ],
      },
    });
    expect(res.status).toBe(422);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['hub', 'items[0].quantity', 'items[1].quantity', 'items[2].extra', 'items[2].quantity', 'items[2].sku', 'order_id']);
  });

  it('masks unexpected errors: no stack, no SQL, no secret; names the request id', async () => {
    const res = await t.request('GET', '/boom', { key: null, headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/SELECT|hunter2|api_keys|at .*\.ts/);
    expect(res.body).toMatchObject({ status: 500, code: 'server.error' });
    expect(res.body.detail).toContain('req-abc-123');
    expect(res.headers['x-request-id']).toBe('req-abc-123');
  });

  it('speaks Arabic when asked', async () => {
    const res = await t.request('GET', '/hubs', { key: null, headers: { 'accept-language': 'ar-EG,ar;q=0.9,en;q=0.5' } });
    expect(res.body.title).toBe('غير مصرح');
    expect(res.body.detail).toMatch(/مفتاح/);
    const invalid = await tenant.as('POST', '/hubs', { body: { code: 'bad code' }, headers: { 'accept-language': 'ar' } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'مطلوب' },
        { field: 'code', message: expect.stringContaining('A-Z') },
      ]),
    );
  });

  it('gives every response a request id (success, client error, failure), keeps a safe one and replaces an unsafe one', async () => {
    const responses = await Promise.all([
      t.request('GET', '/health', { key: null }),
      tenant.as('POST', '/hubs', { body: { code: 'RID', name: 'Request id' } }),
      t.request('GET', '/orders', { key: null }),
      tenant.as('GET', '/no-such-route'),
      tenant.as('POST', '/hubs', { body: {} }),
      t.request('GET', '/boom', { key: null }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 201, 401, 404, 422, 500]);
    for (const res of responses) expect(String(res.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await t.request('GET', '/health', { key: null, headers: { 'x-request-id': 'trace-0123456789' } });
    expect(kept.headers['x-request-id']).toBe('trace-0123456789');
    const replaced = await t.request('GET', '/health', { key: null, headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(String(replaced.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});
