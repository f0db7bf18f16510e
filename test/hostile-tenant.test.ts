/**
 * One tenant must not take the service down or starve the others: the findings of the security
 * review, reproduced at a smaller scale with the limits lowered, on both databases.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, multipartBody, seedCatalog, type TestApp, type TestTenant } from './helpers/app';
import { eventually } from './helpers/eventually';
import { startIngest } from '../src/oms/uploads/ingest-role';
import type { RunningRole } from '../src/shared/running-role';
import { INGEST_QUEUE, INGEST_ATTEMPTS } from '../src/oms/uploads/service';

let t: TestApp;
let ingest: RunningRole | undefined;

beforeAll(async () => {
  t = await buildTestApp({ MAX_PAGE_BYTES: String(64 * 1024), INGEST_BATCH_ROWS: '20', HTTP_REQUEST_TIMEOUT_SECONDS: '2' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await ingest?.stop();
  await t.close();
});

async function upload(who: TestTenant, csv: string) {
  const body = multipartBody({ content: csv });
  return (await expectStatus(who.as('POST', '/orders/upload', { payload: body.payload, headers: body.headers }), 202)).body.upload_id as string;
}
const uploadOf = async (who: TestTenant, id: string) => (await who.as('GET', `/uploads/${id}`)).body;

/** Opens a raw connection and sends the start of a request, leaving it unfinished. */
async function unfinishedRequest(head: string, app: TestApp = t): Promise<Socket> {
  const socket = connect((app.app.server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(head);
  return socket;
}

describe('a poison CSV', () => {
  it('rows with huge cells are invalid rows, cut short in the errors file; the upload completes', async () => {
    ingest ??= await startIngest(t.ctx, { visibilityMs: 30_000 });
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
    const huge = 'x'.repeat(200_000);
    const rows = Array.from({ length: 30 }, (_, i) => `P${i},A,H1,1,${huge}`);
    const id = await upload(own, ['order_id,sku,hub_id,quantity,shipping_address', 'OK-1,A,H1,1,short', ...rows].join('\n'));
    await ingest.drain();
    expect(await uploadOf(own, id)).toMatchObject({ status: 'completed', rows_total: 31, rows_valid: 1, rows_invalid: 30 });
    const errors = (await own.as('GET', `/uploads/${id}/errors`)).text;
    expect(errors).toContain('shipping_address: cell longer than 2000 characters');
    expect(errors.length).toBeLessThan(31 * 2200); // each huge cell kept as its first 2000 characters
  });

  it('a file that keeps killing its worker is given up after a fixed number of deliveries, with a plain reason', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
    await ingest?.stop();
    ingest = undefined;
    const id = await upload(own, 'sku,hub_id,quantity\nA,H1,1\n');
    // Each delivery "dies" (received, never acknowledged, its visibility runs out).
    for (let delivery = 1; delivery <= INGEST_ATTEMPTS; delivery++) {
      await eventually(async () => expect(await t.ctx.queue.receive(INGEST_QUEUE, { max: 1, visibilityMs: 1000 })).toHaveLength(1));
    }
    ingest = await startIngest(t.ctx, { visibilityMs: 30_000 });
    await eventually(async () => {
      await ingest!.drain();
      expect(await uploadOf(own, id)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^ingest gave up after 3 attempts; the service log has the reason/),
      });
    });
    expect((await t.request('GET', '/health')).status).toBe(200); // the process is up
  });

  it('a stray quote is a character, a NUL byte an invalid row: neither fails the file', async () => {
    ingest ??= await startIngest(t.ctx, { visibilityMs: 30_000 });
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
    const padding = Array.from({ length: 400 }, (_, i) => `F${i},A,H1,1,${'y'.repeat(20)}`); // past the first 8 KiB
    const csv = ['order_id,sku,hub_id,quantity,shipping_address', ...padding, 'Q1,A,H1,1,12 "Nile St', 'N1,A,H1,1,bad\u0000byte'].join('\n');
    const id = await upload(own, csv);
    await ingest.drain();
    expect(await uploadOf(own, id)).toMatchObject({ status: 'completed', rows_total: 402, rows_valid: 401, rows_invalid: 1 });
    expect((await own.as('GET', '/orders?reference=Q1')).body.data[0].shipping_address).toBe('12 "Nile St');
    expect((await own.as('GET', `/uploads/${id}/errors`)).text).toContain('contains a NUL character');
  });
});

describe('big pages', () => {
  it('a page of big orders is cut at the byte budget; the cursor walks them all once; concurrent pages stay bounded', async () => {
    const own = await t.tenant();
    await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
    const items = Array.from({ length: 200 }, (_, i) => ({ sku: 'A', quantity: 1, unit_price: '1.00', name: `${i}`.padEnd(200, 'n') }));
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++)
      ids.add(
        (
          await expectStatus(
            own.as('POST', '/orders', { body: { reference: `BIG-${i}`, hub: 'H1', customer: { name: 'B', email: 'b@example.com' }, items } }),
            201,
          )
        ).body.id,
      );
    const oneOrder = (await own.as('GET', `/orders/${[...ids][0]}`)).text.length;
    expect(oneOrder).toBeGreaterThan(40_000);

    const pages = await Promise.all(Array.from({ length: 4 }, () => own.as('GET', '/orders?limit=500')));
    for (const page of pages) {
      expect(page.text.length).toBeLessThanOrEqual(64 * 1024 + oneOrder);
      expect(page.body.data.length).toBeLessThan(12);
      expect(page.body.next_cursor).not.toBeNull();
    }
    const seen: string[] = [];
    let url = '/orders?limit=500';
    for (;;) {
      const page = (await own.as('GET', url)).body;
      seen.push(...page.data.map((o: { id: string }) => o.id));
      if (!page.next_cursor) break;
      url = `/orders?limit=500&cursor=${page.next_cursor}`;
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });
});

describe('fairness', () => {
  it("B's small upload is not starved by A's big files", async () => {
    ingest ??= await startIngest(t.ctx, { visibilityMs: 30_000 });
    const [a, b] = [await t.tenant(), await t.tenant()];
    for (const who of [a, b]) await seedCatalog(who, { hubs: ['H1'], skus: ['A'] });
    const big = (prefix: string) => ['order_id,sku,hub_id,quantity', ...Array.from({ length: 4000 }, (_, i) => `${prefix}${i},A,H1,1`)].join('\n');
    const first = await upload(a, big('A1-'));
    await eventually(async () => expect((await uploadOf(a, first)).rows_total).toBeGreaterThan(0)); // A's first file is running
    const second = await upload(a, big('A2-'));
    const small = await upload(b, 'order_id,sku,hub_id,quantity\nB1,A,H1,1\nB2,A,H1,1\n');
    await ingest.drain();
    const [one, two, done] = await Promise.all([uploadOf(a, first), uploadOf(a, second), uploadOf(b, small)]);
    expect([one.status, two.status, done.status]).toEqual(['completed', 'completed', 'completed']);
    const at = (iso: string) => new Date(iso).getTime();
    // B's upload, sent last, finished while A's first file still ran: it did not wait behind A's files.
    expect(at(done.finished_at)).toBeLessThan(at(one.finished_at));
    // A's second file waited for its first: one upload per tenant at a time.
    expect(at(two.started_at)).toBeGreaterThanOrEqual(at(one.finished_at));
  });
});

describe('fairness between clients (an app of its own: its limits are tiny)', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await buildTestApp({ TENANT_MAX_CONCURRENT_REQUESTS: '1', TENANT_MAX_QUEUED_REQUESTS: '0', AUTH_FAILURES_MAX: '3' });
    await strict.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => strict.close());

  it("a tenant's requests take turns: beyond its concurrency and queue, 429 with Retry-After; other tenants are served", async () => {
    const [a, b] = [await strict.tenant(), await strict.tenant()];
    // A's upload that never finishes sending holds A's only slot. (Should one of A's polls below
    // take the slot first, the holder is refused instead: it is sent again until it holds.)
    const hold = async () => {
      const socket = await unfinishedRequest(
        `POST /orders/upload HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.key}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 100000\r\n\r\n--b\r\n`,
        strict,
      );
      const holder = { socket, refused: false };
      socket.once('data', () => (holder.refused = true)); // any answer: it is not holding
      return holder;
    };
    let held = await hold();
    try {
      const refused = await eventually(async () => {
        if (held.refused) {
          held.socket.destroy();
          held = await hold();
        }
        const res = await a.as('GET', '/stats');
        expect(res.body.code).toBe('request.tenant_busy');
        return res;
      });
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toMatchObject({ status: 429, code: 'request.tenant_busy' });
      expect((await b.as('GET', '/stats')).status).toBe(200);
    } finally {
      held.socket.destroy();
    }
    await eventually(async () => expect((await a.as('GET', '/stats')).status).toBe(200));
  });

  it('clients that hang up while their requests wait or run leave no turn behind: the tenant is served afterwards', async () => {
    const queued = await buildTestApp({ TENANT_MAX_CONCURRENT_REQUESTS: '2', TENANT_MAX_QUEUED_REQUESTS: '50' });
    await queued.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const a = await queued.tenant();
      // Two unfinished uploads hold both of A's turns; 20 more requests queue behind them, then
      // every client hangs up: the queued ones leave the line, the holders give their turns back.
      const holders = await Promise.all(
        [0, 1].map(() =>
          unfinishedRequest(
            `POST /orders/upload HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.key}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 100000\r\n\r\n--b\r\n`,
            queued,
          ),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // both hold their turn
      const waiting = await Promise.all(
        Array.from({ length: 20 }, () => unfinishedRequest(`GET /stats HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a.key}\r\n\r\n`, queued)),
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // they wait in line
      for (const socket of [...waiting, ...holders]) socket.destroy();
      for (let i = 0; i < 5; i++) {
        const answers = await Promise.all([0, 1, 2].map(() => a.as('GET', '/stats')));
        expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      }
    } finally {
      await queued.close();
    }
  });

  it('a key that sends more than its rate gets 429 with Retry-After; another key of the same machine does not', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_MAX: '50', RATE_LIMIT_WINDOW_SECONDS: '60' });
    try {
      const [busy, calm] = [await limited.tenant(), await limited.tenant()];
      for (let i = 0; i < 50; i++) expect((await busy.as('GET', '/hubs')).status).toBe(200);
      const refused = await busy.as('GET', '/hubs');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'request.rate_limited', detail: expect.stringContaining('more than 50 requests in 60 s') });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await calm.as('GET', '/hubs')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('an address that keeps failing authentication is refused for a while, before any key is checked', async () => {
    const own = await strict.tenant();
    for (let i = 0; i < 3; i++) expect((await strict.request('GET', '/stats', { key: `oms_wrong_${i}` })).status).toBe(401);
    const refused = await strict.request('GET', '/stats', { key: own.key });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('auth.too_many_failures');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('timeouts and malformed input', () => {
  it('a body sent a byte at a time is cut off at the request timeout (408)', async () => {
    const own = await t.tenant();
    const socket = await unfinishedRequest(
      `POST /hubs HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${own.key}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
    );
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    const trickle = setInterval(() => socket.write(' '), 300);
    try {
      await once(socket, 'close');
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answer 4xx naming the problem: a forged cursor, a NUL character, JSON nested too deep, a cut-off multipart body', async () => {
    const own = await t.tenant();
    const forged = Buffer.from(JSON.stringify(['x'])).toString('base64url');
    for (const route of ['/orders', '/customers', '/uploads', '/webhooks', '/skus', '/inventory/transactions']) {
      const res = await own.as('GET', `${route}?cursor=${forged}`);
      expect(res.status, route).toBe(422);
      expect(res.body.errors[0].field, route).toBe('cursor');
    }
    const nul = await own.as('POST', '/hubs', { body: { code: 'H9', name: 'bad\u0000name' } });
    expect(nul.status).toBe(422);
    expect(nul.body.errors).toEqual([{ field: 'name', message: 'must not contain a NUL character' }]);
    expect((await own.as('GET', '/orders?reference=a%00b')).body.errors[0].field).toBe('reference');
    const deep = await own.as('POST', '/hubs', { payload: `${'['.repeat(5000)}${']'.repeat(5000)}`, headers: { 'content-type': 'application/json' } });
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('request.too_deep');
    const body = multipartBody({ content: 'sku,hub_id,quantity\nA,H1,1\n' });
    const cut = await own.as('POST', '/orders/upload', { payload: body.payload.subarray(0, body.payload.length - 20), headers: body.headers });
    expect(cut.status).toBe(400);
    expect(cut.body.code).toBe('request.incomplete_body');
  });

  it('a webhook secret is never replayed nor stored by Idempotency-Key', async () => {
    const own = await t.tenant();
    const create = () =>
      own.as('POST', '/webhooks', { body: { url: 'https://example.com/hook', events: ['order.created'] }, headers: { 'idempotency-key': 'hook-1' } });
    const [first, second] = [await create(), await create()];
    expect(first.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    const stored = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api.idempotency_keys WHERE response_body::text LIKE '%whsec_%'`);
    expect(stored[0]!.n).toBe(0);
  });
});
