import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, multipartBody, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { startIngest } from './ingest-role';
import type { RunningRole } from '../../shared/running-role';

let t: TestApp;
let ingest: RunningRole;

beforeAll(async () => {
  t = await buildTestApp();
  ingest = await startIngest(t.ctx, { visibilityMs: 30_000 });
});
afterAll(async () => {
  await ingest.stop();
  await t.close();
});

async function shop(): Promise<TestTenant> {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1', 'H2'], skus: ['A', 'B', 'C'] });
  return own;
}

/** Uploads `csv` as `who`, runs the ingest worker to quiescence, answers the finished upload. */
async function ingestCsv(who: TestTenant | null, csv: string | Buffer, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const body = multipartBody({ content: csv }, fields);
  const send = who
    ? who.as('POST', '/orders/upload', { payload: body.payload, headers: { ...body.headers, ...headers } })
    : t.request('POST', '/orders/upload', { payload: body.payload, headers: { ...body.headers, ...headers } });
  const accepted = await expectStatus(send, 202);
  expect(accepted.body).toMatchObject({ status: 'queued', object_key: expect.stringMatching(/^uploads\/\d{8}T\d{9}Z_[0-9a-f-]{36}_orders\.csv$/) });
  await ingest.drain();
  const get = (url: string) => (who ? who.as('GET', url) : t.request('GET', url));
  const upload = (await expectStatus(get(`/uploads/${accepted.body.upload_id}`), 200)).body;
  const errors = await get(`/uploads/${accepted.body.upload_id}/errors`);
  return { upload, errors: errors.text, id: accepted.body.upload_id as string };
}

const HEADER = 'order_id,customer_name,customer_email,product_name,sku,hub_id,quantity,unit_price,total_amount,order_date,shipping_address';

describe('CSV upload', () => {
  it('creates multi-line orders with their events, and reports invalid rows with every reason', async () => {
    const own = await shop();
    const csv = [
      HEADER,
      'R1,Ann,ann@x.io,Shirt,A,H1,2,10.00,20.00,2026-01-05,"1 Main St, Cairo"',
      'R1,Ann,ann@x.io,Cap,B,H1,1,5.50,5.50,2026-01-05,"1 Main St, Cairo"',
      'R2,Bob,bob@x.io,,Z,H9,abc,1.00,9.00,2026-02-30,',
      'R3,Cy,cy@x.io,,C,H2,1,3,3,2026-03-01,',
    ].join('\n');
    const { upload, errors } = await ingestCsv(own, csv);
    expect(upload).toMatchObject({ status: 'completed', rows_total: 4, rows_valid: 3, rows_invalid: 1, orders_created: 2 });
    expect(upload.size_bytes).toBe(Buffer.byteLength(csv));
    expect(upload.bytes_done).toBe(upload.size_bytes); // the progress reads 100% once completed
    const orders = (await own.as('GET', '/orders?limit=10')).body.data;
    expect(orders.map((o: any) => o.reference).sort()).toEqual(['R1', 'R3']);
    const r1 = orders.find((o: any) => o.reference === 'R1');
    expect(r1).toMatchObject({
      source: 'csv',
      status: 'on_hold',
      total_amount: '25.50',
      hub: 'H1',
      customer: { name: 'Ann', email: 'ann@x.io' },
      shipping_address: '1 Main St, Cairo',
      upload_id: upload.id,
    });
    expect(r1.items).toEqual([
      { sku: 'A', name: 'Shirt', quantity: 2, unit_price: '10.00' },
      { sku: 'B', name: 'Cap', quantity: 1, unit_price: '5.50' },
    ]);
    const rows: string[][] = parse(errors);
    expect(rows[0]).toEqual([...HEADER.split(','), 'row_number', 'error']);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(0, 12)).toEqual(['R2', 'Bob', 'bob@x.io', '', 'Z', 'H9', 'abc', '1.00', '9.00', '2026-02-30', '', '4']);
    for (const reason of ['quantity "abc"', 'order_date "2026-02-30"', 'hub "H9" is unknown', 'sku "Z" is unknown']) expect(rows[1]![12]).toContain(reason);
    const events = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM oms.events WHERE type = 'order.created' AND tenant_id = $1`, [own.id]);
    expect(events[0]!.n).toBe(2);
  });

  it('re-uploading the same file creates nothing twice, with or without an order_id column', async () => {
    const own = await shop();
    for (const csv of ['sku,hub,qty\nA,H1,1\nB,H2,2\n', 'order_id,sku,hub,qty\nX1,A,H1,1\nX2,B,H2,2\n']) {
      const first = await ingestCsv(own, csv);
      expect(first.upload).toMatchObject({ status: 'completed', orders_created: 2, rows_invalid: 0 });
      const second = await ingestCsv(own, csv);
      expect(second.upload).toMatchObject({ status: 'completed', orders_created: 0, rows_invalid: 2 });
      expect(second.errors).toContain('already exists');
    }
    expect((await own.as('GET', '/orders?limit=50')).body.data).toHaveLength(4);
  });

  it('one customer per e-mail address across batches and letter case; an existing customer is reused; events carry it', async () => {
    const own = await shop();
    const existing = (await expectStatus(own.as('POST', '/customers', { body: { name: 'Old Dee', email: 'dee@x.io' } }), 201)).body;
    // More rows than a batch (INGEST_BATCH_ROWS defaults to 1,000), so addresses repeat across batches.
    const rows = Array.from({ length: 1500 }, (_, i) => `C${i},Name ${i % 7},${i % 2 ? 'DEE' : 'dee'}${i % 3 === 0 ? '' : i % 7}@X.io,A,H1,1`);
    const { upload } = await ingestCsv(own, ['order_id,customer_name,customer_email,sku,hub_id,quantity', ...rows].join('\n'));
    expect(upload).toMatchObject({ status: 'completed', orders_created: 1500, rows_invalid: 0 });
    const customers = await t.ctx.db.query<{ email: string; id: string }>(
      'SELECT lower(email) AS email, id FROM oms.customers WHERE tenant_id = $1 ORDER BY 1',
      [own.id],
    );
    expect(customers.map((c) => c.email)).toEqual(['dee0@x.io', 'dee1@x.io', 'dee2@x.io', 'dee3@x.io', 'dee4@x.io', 'dee5@x.io', 'dee6@x.io', 'dee@x.io']);
    expect(customers.find((c) => c.email === 'dee@x.io')!.id).toBe(existing.id);
    const mismatched = await t.ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM oms.orders o JOIN oms.events e ON e.key = o.id::text AND e.type = 'order.created'
       WHERE o.tenant_id = $1 AND (o.customer_id IS NULL OR e.data->'order'->'customer'->>'id' IS DISTINCT FROM o.customer_id::text)`,
      [own.id],
    );
    expect(mismatched[0]!.n).toBe(0);
  });

  it('a missing required column fails the whole upload, naming it', async () => {
    const own = await shop();
    const { upload } = await ingestCsv(own, 'order_id,hub_id,quantity\n1,H1,2\n');
    expect(upload.status).toBe('failed');
    expect(upload.error).toContain('"sku"');
    expect(upload.rows_total).toBe(0);
  });

  it('progress, stats and tenant isolation', async () => {
    const own = await shop();
    const other = await shop();
    const { id } = await ingestCsv(own, 'sku,hub_id,quantity\nA,H1,1\n');
    await expectStatus(other.as('GET', `/uploads/${id}`), 404);
    await expectStatus(other.as('GET', `/uploads/${id}/errors`), 404);
    expect((await other.as('GET', '/uploads')).body.data.map((u: any) => u.id)).not.toContain(id);
    expect((await own.as('GET', '/uploads')).body.data.map((u: any) => u.id)).toContain(id);
    expect((await own.as('GET', '/stats')).body.uploads_by_status.completed).toBe(1);
  });
});

describe('CSV upload in small batches', () => {
  let small: TestApp;
  let role: RunningRole;
  beforeAll(async () => {
    small = await buildTestApp({ INGEST_BATCH_ROWS: '2' });
    role = await startIngest(small.ctx, { visibilityMs: 30_000 });
  });
  afterAll(async () => {
    await role.stop();
    await small.close();
  });

  it('a reference repeated in a later batch is reported, even while the earlier batch is still committing', async () => {
    // Batch N+1 is validated while batch N commits, so its look-up may miss N's orders: the
    // insert then trips over the reference, and the batch is validated again.
    const own = await small.tenant();
    await seedCatalog(own, { hubs: ['H1'], skus: ['A'] });
    const csv = ['order_id,sku,hub_id,quantity', 'P1,A,H1,1', 'P2,A,H1,1', 'P1,A,H1,2', 'P3,A,H1,1', 'P2,A,H1,3', 'P4,A,H1,1', 'P3,A,H1,1'].join('\n');
    const body = multipartBody({ content: csv });
    const accepted = await expectStatus(own.as('POST', '/orders/upload', { payload: body.payload, headers: body.headers }), 202);
    await role.drain();
    const upload = (await own.as('GET', `/uploads/${accepted.body.upload_id}`)).body;
    expect(upload).toMatchObject({ status: 'completed', rows_total: 7, rows_valid: 4, rows_invalid: 3, orders_created: 4 });
    const orders = (await own.as('GET', '/orders?limit=10')).body.data;
    expect(orders.map((o: any) => `${o.reference}:${o.items[0].quantity}`).sort()).toEqual(['P1:1', 'P2:1', 'P3:1', 'P4:1']);
    const errors: string[][] = parse((await own.as('GET', `/uploads/${accepted.body.upload_id}/errors`)).text);
    expect(errors.slice(1).map((r) => [r[0], r[4]])).toEqual([
      ['P1', '4'],
      ['P2', '6'],
      ['P3', '8'],
    ]);
    for (const row of errors.slice(1)) expect(row[5]).toContain('already used earlier in the file');
  });
});
