import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { eventually } from '../../../test/helpers/eventually';
import type { RunningRole } from '../../shared/running-role';
import { classify } from './dispatcher';
import { startWebhooks } from './webhooks-role';

// Real HTTP receivers on loopback (allowed here by WEBHOOK_ALLOW_PRIVATE_NETWORKS=true).
interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}
const received: Received[] = [];
const scripts = new Map<string, number[]>(); // path → status codes to answer in turn (last one repeats)
let server: Server;
let base: string;
let t: TestApp;
let role: RunningRole;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        received.push({ path: req.url!, headers: req.headers as Record<string, string>, body });
        const script = scripts.get(req.url!) ?? [200];
        const code = script.length > 1 ? script.shift()! : script[0]!;
        // 0 in a script: answer too late (after the role's 2 s timeout).
        if (code === 0) setTimeout(() => res.writeHead(200).end('late'), 2500);
        else res.writeHead(code).end('thanks');
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2,0.2' });
  role = await startWebhooks(t.ctx, { timeoutMs: 2000 });
});
afterAll(async () => {
  await role.stop();
  await t.close();
  await new Promise((r) => server.close(r));
});

async function shop(): Promise<TestTenant> {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
  return own;
}

async function endpoint(own: TestTenant, path: string, events = ['order.created']) {
  return (await expectStatus(own.as('POST', '/webhooks', { body: { url: `${base}${path}`, events } }), 201)).body as { id: string; secret: string };
}

async function placeOrder(own: TestTenant, reference: string) {
  return (
    await expectStatus(
      own.as('POST', '/orders', {
        body: { reference, customer: { name: 'Ann', email: 'ann@x.io' }, hub: 'H1', items: [{ sku: 'A', quantity: 1, unit_price: '2.00' }] },
      }),
      201,
    )
  ).body as { id: string };
}

/** Runs the role until `done` holds (retries are scheduled 200 ms apart). */
async function until(done: () => Promise<boolean>, ms = 60_000): Promise<void> {
  await eventually(async () => {
    await role.drain();
    expect(await done()).toBe(true);
  }, ms);
}

const dispatchesOf = async (own: TestTenant, id: string, status = '') =>
  (await expectStatus(own.as('GET', `/webhooks/${id}/dispatches${status ? `?status=${status}` : ''}`), 200)).body.data;

describe('webhook dispatch', () => {
  it('500, 500, then 200: three attempts with the same webhook-id and valid signatures, delivered once', async () => {
    const own = await shop();
    const hook = await endpoint(own, '/flaky');
    const quiet = await endpoint(own, '/deletes-only', ['order.deleted']);
    scripts.set('/flaky', [500, 500, 200]);
    await placeOrder(own, 'W-1');
    await until(async () => (await dispatchesOf(own, hook.id, 'succeeded')).length === 1);
    const calls = received.filter((r) => r.path === '/flaky');
    expect(calls).toHaveLength(3);
    const ids = new Set(calls.map((c) => c.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const call of calls) {
      const event = new Webhook(hook.secret).verify(call.body, call.headers) as { id: string; type: string; data: { order: { reference: string } } };
      expect(event).toMatchObject({ id: [...ids][0], type: 'order.created', data: { order: { reference: 'W-1' } } });
    }
    const [dispatch] = await dispatchesOf(own, hook.id);
    expect(dispatch).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200, event_type: 'order.created' });
    const detail = (await expectStatus(own.as('GET', `/webhooks/${hook.id}/dispatches/${dispatch.id}`), 200)).body;
    expect(detail.attempt_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(detail.attempt_log[0]).toMatchObject({ n: 1, error: 'HTTP 500', response_body: 'thanks' });
    // The old path ("deliveries", before a delivery meant only a shipment) answers the same, marked deprecated.
    const old = await expectStatus(own.as('GET', `/webhooks/${hook.id}/deliveries/${dispatch.id}`), 200);
    expect(old.body).toEqual(detail);
    expect(old.headers).toMatchObject({ deprecation: '@1796256000', link: `</webhooks/${hook.id}/dispatches/${dispatch.id}>; rel="successor-version"` });
    expect(received.filter((r) => r.path === '/deletes-only')).toHaveLength(0);
    expect(await dispatchesOf(own, quiet.id)).toHaveLength(0);
  });

  it('410 disables the endpoint; another 4xx fails at once and can be retried by hand', async () => {
    const own = await shop();
    const gone = await endpoint(own, '/gone');
    const picky = await endpoint(own, '/picky');
    scripts.set('/gone', [410]);
    scripts.set('/picky', [400, 200]);
    await placeOrder(own, 'W-2');
    await until(async () => (await dispatchesOf(own, picky.id, 'failed')).length === 1 && (await dispatchesOf(own, gone.id, 'failed')).length === 1);
    expect((await own.as('GET', `/webhooks/${gone.id}`)).body).toMatchObject({ active: false, disabled_reason: expect.stringContaining('410') });
    const [failed] = await dispatchesOf(own, picky.id);
    expect(failed).toMatchObject({ attempts: 1, last_status_code: 400 });
    await expectStatus(own.as('POST', `/webhooks/${picky.id}/dispatches/${failed.id}/retry`), 202);
    expect((await expectStatus(own.as('POST', `/webhooks/${picky.id}/dispatches/${failed.id}/retry`), 409)).body.code).toBe('webhook.dispatch_pending');
    // The deprecated path answers with the code it always had.
    expect((await expectStatus(own.as('POST', `/webhooks/${picky.id}/deliveries/${failed.id}/retry`), 409)).body.code).toBe('webhook.delivery_pending');
    await until(async () => (await dispatchesOf(own, picky.id, 'succeeded')).length === 1);
    // A disabled endpoint gets no new dispatches.
    await placeOrder(own, 'W-3');
    await role.drain();
    expect(await dispatchesOf(own, gone.id)).toHaveLength(1);
  });

  it('a slow receiver: the timeout is recorded and the next attempt succeeds', async () => {
    const own = await shop();
    const hook = await endpoint(own, '/slow');
    scripts.set('/slow', [0, 200]);
    await placeOrder(own, 'W-5');
    await until(async () => (await dispatchesOf(own, hook.id, 'succeeded')).length === 1, 10_000);
    const [dispatch] = await dispatchesOf(own, hook.id);
    const detail = (await own.as('GET', `/webhooks/${hook.id}/dispatches/${dispatch.id}`)).body;
    expect(detail.attempt_log.map((a: { error: string | null; status_code: number | null }) => [a.error, a.status_code])).toEqual([
      ['timeout', null],
      [null, 200],
    ]);
    expect(detail.attempt_log[0].latency_ms).toBeGreaterThanOrEqual(1900);
  });

  it('a receiver that is down, then up: retried until it answers', async () => {
    const own = await shop();
    const down = createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as AddressInfo).port;
    await new Promise((r) => down.close(r));
    const hook = (await expectStatus(own.as('POST', '/webhooks', { body: { url: `http://127.0.0.1:${port}/back`, events: ['order.created'] } }), 201)).body;
    await placeOrder(own, 'W-6');
    await until(async () => (await dispatchesOf(own, hook.id))[0]?.attempts === 1);
    expect((await dispatchesOf(own, hook.id))[0]).toMatchObject({ status: 'pending', last_error: expect.stringContaining('ECONNREFUSED') });
    const got: string[] = [];
    const up = createServer((req, res) => {
      got.push(String(req.headers['webhook-id']));
      res.end();
    });
    await new Promise<void>((r) => up.listen(port, '127.0.0.1', r));
    try {
      await until(async () => (await dispatchesOf(own, hook.id, 'succeeded')).length === 1);
      expect(got).toHaveLength(1);
    } finally {
      await new Promise((r) => up.close(r));
    }
  });

  it('an endpoint that has only failed for 5 days is disabled by its next failure; a success ends a streak', async () => {
    const own = await shop();
    const fine = await endpoint(own, '/recovering');
    const broken = await endpoint(own, '/broken');
    scripts.set('/broken', [400]);
    await t.ctx.db.query(`UPDATE oms.webhook_endpoints SET failing_since = now() - interval '1 day' WHERE id = $1`, [fine.id]);
    await t.ctx.db.query(`UPDATE oms.webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1`, [broken.id]);
    await placeOrder(own, 'W-7');
    await until(async () => (await dispatchesOf(own, broken.id, 'failed')).length === 1 && (await dispatchesOf(own, fine.id, 'succeeded')).length === 1);
    expect((await own.as('GET', `/webhooks/${broken.id}`)).body).toMatchObject({ active: false, disabled_reason: 'every dispatch failed for 5 days' });
    expect((await own.as('GET', `/webhooks/${fine.id}`)).body).toMatchObject({ active: true, failing_since: null });
  });

  it('each tenant sees only its own dispatches', async () => {
    const own = await shop();
    const other = await shop();
    const hook = await endpoint(own, '/iso');
    await placeOrder(own, 'W-4');
    await until(async () => (await dispatchesOf(own, hook.id, 'succeeded')).length === 1);
    const [dispatch] = await dispatchesOf(own, hook.id);
    await expectStatus(other.as('GET', `/webhooks/${hook.id}/dispatches`), 404);
    await expectStatus(other.as('GET', `/webhooks/${hook.id}/dispatches/${dispatch.id}`), 404);
    await expectStatus(other.as('POST', `/webhooks/${hook.id}/dispatches/${dispatch.id}/retry`), 404);
  });
});

describe('retry rules', () => {
  const schedule = [0, 5, 300];
  it('follows the schedule with jitter, honours Retry-After, and gives up after the last attempt', () => {
    expect(classify({ statusCode: 204, latencyMs: 1 }, 1, schedule)).toMatchObject({ status: 'succeeded' });
    expect(classify({ statusCode: 503, latencyMs: 1 }, 1, schedule, () => 0.5)).toMatchObject({ status: 'pending', nextAttemptInMs: 5000 });
    expect(classify({ statusCode: 503, latencyMs: 1 }, 1, schedule, () => 0).nextAttemptInMs).toBe(4500);
    expect(classify({ statusCode: 503, latencyMs: 1 }, 1, schedule, () => 1).nextAttemptInMs).toBe(5500);
    expect(classify({ statusCode: 429, latencyMs: 1, retryAfterMs: 60_000 }, 1, schedule, () => 0.5)).toMatchObject({
      status: 'pending',
      nextAttemptInMs: 60_000,
    });
    expect(classify({ latencyMs: 1, error: 'timeout' }, 2, schedule, () => 0.5)).toMatchObject({ status: 'pending', nextAttemptInMs: 300_000 });
    expect(classify({ statusCode: 301, latencyMs: 1 }, 1, schedule).status).toBe('pending');
    expect(classify({ statusCode: 500, latencyMs: 1 }, 3, schedule)).toMatchObject({ status: 'failed' });
    expect(classify({ statusCode: 404, latencyMs: 1 }, 1, schedule)).toMatchObject({ status: 'failed' });
    expect(classify({ statusCode: 410, latencyMs: 1 }, 1, schedule)).toMatchObject({ status: 'failed', disableEndpoint: expect.stringContaining('410') });
  });
});
