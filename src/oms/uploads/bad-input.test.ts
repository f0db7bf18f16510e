import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectStatus, multipartBody, seedCatalog, type TestApp, type TestTenant } from '../../../test/helpers/app';
import type { RunningRole } from '../../shared/running-role';
import { startIngest } from './ingest-role';

let t: TestApp;
let ingest: RunningRole;

beforeAll(async () => {
  t = await buildTestApp({ MAX_UPLOAD_BYTES: String(12 * 1024 * 1024) });
  ingest = await startIngest(t.ctx);
});
afterAll(async () => {
  await ingest.stop();
  await t.close();
});

async function shop(): Promise<TestTenant> {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1', 'H2'], skus: ['A', 'B'] });
  return own;
}

async function run(who: TestTenant | null, csv: string | Buffer, fields: Record<string, string> = {}) {
  const body = multipartBody({ content: csv }, fields);
  const options = { payload: body.payload, headers: body.headers };
  const accepted = await expectStatus(who ? who.as('POST', '/orders/upload', options) : t.request('POST', '/orders/upload', options), 202);
  await ingest.drain();
  const get = (url: string) => (who ? who.as('GET', url) : t.request('GET', url));
  const upload = (await expectStatus(get(`/uploads/${accepted.body.upload_id}`), 200)).body;
  const text = (await get(`/uploads/${accepted.body.upload_id}/errors`)).text;
  return { upload, errors: text === '' ? [] : (parse(text, { relax_column_count: true }) as string[][]) };
}

const references = async (who: TestTenant) => (await who.as('GET', '/orders?limit=100')).body.data.map((o: any) => o.reference).sort();

describe('CSV bad input', () => {
  it('BOM, CRLF and quoted commas, quotes and newlines', async () => {
    const own = await shop();
    const csv = '\uFEFForder_id,sku,hub_id,quantity,shipping_address\r\nQ1,A,H1,1,"12 ""Nile"" St,\r\nFloor 2"\r\nQ2,B,H2,2,plain\r\n';
    const { upload } = await run(own, csv);
    expect(upload).toMatchObject({ status: 'completed', rows_valid: 2, orders_created: 2 });
    const q1 = (await own.as('GET', '/orders?reference=Q1')).body.data[0];
    expect(q1.shipping_address).toBe('12 "Nile" St,\r\nFloor 2');
  });

  it('semicolon and tab delimiters are detected, or given', async () => {
    const own = await shop();
    expect((await run(own, 'order_id;sku;hub_id;quantity\nS1;A;H1;1\n')).upload.orders_created).toBe(1);
    expect((await run(own, 'order_id\tsku\thub_id\tquantity\nS2\tA\tH1\t1\n')).upload.orders_created).toBe(1);
    expect((await run(own, 'order_id;sku;hub_id;quantity\nS3;A;H1;1\n', { delimiter: ';' })).upload.orders_created).toBe(1);
    expect(await references(own)).toEqual(['S1', 'S2', 'S3']);
  });

  it('European spreadsheets: a decimal comma in ";" files, or wherever decimal_separator says so', async () => {
    const own = await shop();
    // Excel in a comma-decimal locale: ";" between fields, "19,90" for prices (a dot still reads).
    const excel = await run(own, 'order_id;sku;hub_id;quantity;unit_price;total_amount\nE1;A;H1;2;19,90;39,80\nE2;B;H1;1;7.5;7,50\nE3;A;H1;1;1.234,50;\n');
    expect(excel.upload).toMatchObject({ rows_valid: 2, rows_invalid: 1 });
    expect((await own.as('GET', '/orders?reference=E1')).body.data[0]).toMatchObject({ total_amount: '39.80', items: [{ unit_price: '19.90' }] });
    expect((await own.as('GET', '/orders?reference=E2')).body.data[0]).toMatchObject({ total_amount: '7.50' });
    expect(excel.errors[1]!.at(-1)).toBe('unit_price "1.234,50" is not a decimal ≥ 0 with at most 2 places (e.g. 19.90 or 19,90)');

    // Given explicitly: a comma in a tab-separated file; a dot is then refused, saying why.
    const tabbed = await run(own, 'order_id\tsku\thub_id\tquantity\tunit_price\nE4\tA\tH1\t1\t5,25\nE5\tA\tH1\t1\t5.25\n', { decimal_separator: ',' });
    expect(tabbed.upload).toMatchObject({ rows_valid: 1, rows_invalid: 1 });
    expect(tabbed.errors[1]!.at(-1)).toContain('(with a decimal comma, e.g. 19,90)');
    expect((await own.as('GET', '/orders?reference=E4')).body.data[0].total_amount).toBe('5.25');
    // A comma file stays strict: "5,25" in a ","-separated file is two fields, and the option is checked.
    const refused = multipartBody({ content: 'sku,hub_id,quantity\nA,H1,1\n' }, { decimal_separator: 'x' });
    const bad = await own.as('POST', '/orders/upload', { payload: refused.payload, headers: refused.headers });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'decimal_separator', message: expect.stringContaining('".", ","') }]);
  });

  it('an unclosed quote fails the file in plain words, after the rows before it', async () => {
    const own = await shop();
    const { upload } = await run(own, 'order_id,sku,hub_id,quantity,shipping_address\nU1,A,H1,1,ok\nU2,A,H1,1,"never closed\n');
    expect(upload.status).toBe('failed');
    expect(upload.error).toMatch(/^the file is not readable CSV after row \d+: a quoted cell is never closed/);
  });

  it('an empty file fails; a header alone completes with nothing', async () => {
    const own = await shop();
    const empty = await run(own, '');
    expect(empty.upload.status).toBe('failed');
    expect(empty.upload.error).toContain('empty');
    expect((await run(own, 'sku,hub_id,quantity\n')).upload).toMatchObject({ status: 'completed', rows_total: 0 });
  });

  it('ragged rows, invalid UTF-8 and a 10 MB field are invalid rows; the rest goes through', async () => {
    const own = await shop();
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const csv = Buffer.concat([
      Buffer.from(`order_id,sku,hub_id,quantity,shipping_address\nG1,A,H1,1,ok\nG2,A,H1\nG3,A,H1,1,ok,extra\nG4,A,H1,1,caf`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`\nG5,A,H1,1,${huge}\nG6,B,H2,3,ok\n`),
    ]);
    const { upload, errors } = await run(own, csv);
    expect(upload).toMatchObject({ status: 'completed', rows_total: 6, rows_valid: 2, rows_invalid: 4 });
    expect(await references(own)).toEqual(['G1', 'G6']);
    const reasons = Object.fromEntries(errors.slice(1).map((r) => [r[0], r[r.length - 1]]));
    expect(reasons.G2).toContain('has 3 fields, the header has 5');
    expect(reasons.G3).toContain('has 6 fields');
    expect(reasons.G4).toContain('not valid UTF-8');
    expect(reasons.G5).toContain('longer than');
    // Cut to its first 2,000 characters (and a '…'): a huge cell is never held whole.
    expect(errors.find((r) => r[0] === 'G5')![4]).toBe(`${huge.slice(0, 2000)}…`);
  });

  it('formulas are neutralised in the errors CSV; plain negative numbers are not', async () => {
    const own = await shop();
    const { errors } = await run(own, 'order_id,sku,hub_id,quantity\nF1,"=cmd|\' /C calc\'!A0",H1,1\nF2,+A1+B1,H1,-5\nF3,@SUM(A1),H1,1\n');
    const byRef = Object.fromEntries(errors.slice(1).map((r) => [r[0], r]));
    expect(byRef.F1![1]).toBe("'=cmd|' /C calc'!A0");
    expect(byRef.F2![1]).toBe("'+A1+B1");
    expect(byRef.F2![3]).toBe('-5');
    expect(byRef.F3![1]).toBe("'@SUM(A1)");
  });

  it('duplicate references within the file and against existing orders; rows of one order at two hubs make one order', async () => {
    const own = await shop();
    await expectStatus(
      own.as('POST', '/orders', { body: { reference: 'OLD', customer: { name: 'A', email: 'a@x.io' }, hub: 'H1', items: [{ sku: 'A', quantity: 1 }] } }),
      201,
    );
    const csv = 'order_id,sku,hub_id,quantity\nD1,A,H1,1\nD1,B,H1,1\nD2,A,H1,1\nD1,A,H1,1\nOLD,A,H1,1\nM1,A,H1,1\nM1,B,H2,1\n';
    const { upload, errors } = await run(own, csv);
    expect(upload).toMatchObject({ rows_total: 7, rows_valid: 5, rows_invalid: 2, orders_created: 3 });
    const rows = errors.slice(1).map((r) => [r[0], r[4], r[5]]);
    expect(rows).toEqual([
      ['D1', '5', expect.stringContaining('already used earlier in the file')],
      ['OLD', '6', expect.stringContaining('already exists')],
    ]);
    const m1 = (await own.as('GET', '/orders?reference=M1')).body.data[0];
    expect(m1.hub).toBeUndefined();
    expect(m1.items.map((i: { sku: string; hub: string }) => [i.sku, i.hub])).toEqual([
      ['A', 'H1'],
      ['B', 'H2'],
    ]);
    const d1 = (await own.as('GET', '/orders?reference=D1')).body.data[0];
    expect(d1.items).toHaveLength(2);
  });

  it('answers 413 beyond MAX_UPLOAD_BYTES, 415 for a non-multipart or binary body, 422 without a file', async () => {
    const own = await shop();
    const big = multipartBody({ content: Buffer.alloc(13 * 1024 * 1024, 0x41) });
    const tooLarge = await own.as('POST', '/orders/upload', { payload: big.payload, headers: big.headers });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers['content-type']).toContain('application/problem+json');
    expect((await own.as('POST', '/orders/upload', { body: { file: 'x' } })).status).toBe(415);
    const binary = multipartBody({ content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]), name: 'orders.xlsx' });
    expect((await own.as('POST', '/orders/upload', { payload: binary.payload, headers: binary.headers })).status).toBe(415);
    const noFile = multipartBody({ content: '' });
    const withoutFile = { payload: Buffer.from(noFile.payload.toString().replace('name="file"', 'name="other"')), headers: noFile.headers };
    const missing = await own.as('POST', '/orders/upload', withoutFile);
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].field).toBe('file');
    expect((await own.as('GET', '/uploads')).body.data).toHaveLength(0); // nothing recorded
  });

  it("import: 404 for a missing object, 422 for a bad key, 403 for another tenant's area", async () => {
    const own = await shop();
    expect((await own.as('POST', '/orders/import', { body: { object_key: `imports/${own.id}/none.csv` } })).status).toBe(404);
    const bad = await own.as('POST', '/orders/import', { body: { object_key: '../../etc/passwd' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('object_key');
    expect((await own.as('POST', '/orders/import', { body: { object_key: 'imports/someone-else/x.csv' } })).status).toBe(403);
    await t.ctx.objectStore.put(`imports/${own.id}/day.csv`, 'order_id,sku,hub_id,quantity\nI1,A,H1,2\n');
    const accepted = await expectStatus(own.as('POST', '/orders/import', { body: { object_key: `imports/${own.id}/day.csv` } }), 202);
    await ingest.drain();
    expect((await own.as('GET', `/uploads/${accepted.body.upload_id}`)).body).toMatchObject({ status: 'completed', orders_created: 1 });
  });
});

const layoutCTenants = new Map<string, TestTenant>();

describe('reference layouts', () => {
  const fixtures = path.resolve(__dirname, '../../../test/fixtures/reference-csv');

  it('layout A: an admin upload without X-Tenant-Id routes rows by tenant_id', async () => {
    const csv = await readFile(path.join(fixtures, 'layout-a-orders.csv'), 'utf8');
    const rows: string[][] = parse(csv).slice(1);
    const tenants = new Map<string, TestTenant>();
    for (const code of new Set(rows.map((r) => r[0]!))) {
      const tenant = await t.tenant(`${code}`);
      const mine = rows.filter((r) => r[0] === code);
      for (const seller of new Set(mine.map((r) => r[4]!)))
        await expectStatus(tenant.as('POST', '/sellers', { body: { code: seller, name: `Seller ${seller}` } }), 201);
      await seedCatalog(tenant, { hubs: [...new Set(mine.map((r) => r[5]!))], skus: [...new Set(mine.map((r) => r[2]!))] });
      tenants.set(code, tenant);
    }
    const { upload } = await run(null, csv);
    expect(upload).toMatchObject({ status: 'completed', rows_total: rows.length, rows_invalid: 0, orders_created: rows.length });
    for (const [code, tenant] of tenants) {
      const expected = rows
        .filter((r) => r[0] === code)
        .map((r) => r[1]!)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(await references(tenant)).toEqual(expected);
    }
    const first = (await tenants.get(rows[0]![0]!)!.as('GET', `/orders?reference=${rows[0]![1]}`)).body.data[0];
    expect(first).toMatchObject({
      hub: rows[0]![5],
      seller: rows[0]![4],
      items: [{ sku: rows[0]![2], quantity: Number(rows[0]![3]), unit_price: `${rows[0]![6]}.00` }],
    });
  });

  it.each(['layout-c-sample.csv', 'layout-c-mixed.csv', 'layout-c-errors.csv'])(
    'layout C (%s): each row valid or invalid for the right reason',
    async (name) => {
      const csv = await readFile(path.join(fixtures, name), 'utf8');
      const rows: string[][] = parse(csv).slice(1);
      for (const row of rows) {
        const [tenantRef, seller, hub, sku] = row as [string, string, string, string];
        if (tenantRef === '') continue;
        const tenant = layoutCTenants.get(tenantRef) ?? (await t.tenant(tenantRef));
        layoutCTenants.set(tenantRef, tenant);
        // The fixtures share tenants and codes: a 409 means it exists already.
        if (seller) await tenant.as('POST', '/sellers', { body: { code: seller, name: 'S' } });
        if (hub) await tenant.as('POST', '/hubs', { body: { code: hub, name: 'H' } });
        await tenant.as('POST', '/skus', { body: { code: sku, name: 'K' } });
      }
      const { upload, errors } = await run(null, csv);
      const expectedValid = rows.filter((r) => r[0] !== '' && /^\d+$/.test(r[4]!) && Number(r[4]) > 0);
      expect(upload).toMatchObject({
        status: 'completed',
        rows_total: rows.length,
        rows_valid: expectedValid.length,
        rows_invalid: rows.length - expectedValid.length,
      });
      const reasons = errors.slice(1).map((r) => r[r.length - 1]!);
      for (const reason of reasons) expect(reason).toMatch(/quantity ".*" is not a whole number|tenant_id is missing/);
    },
  );
});
