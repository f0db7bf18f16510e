/**
 * The client commands as a user runs them: `node bin/oms.mjs import|orders|inventory` in a child
 * process, over real HTTP on loopback, against the application listening with its ingest role.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, seedCatalog, type TestApp, type TestTenant } from './helpers/app';
import { startIngest } from '../src/oms/uploads/ingest-role';
import { startFinalizer } from '../src/oms/orders/finalizer-role';
import type { RunningRole } from '../src/shared/running-role';

let t: TestApp;
let ingest: RunningRole;
let finalizer: RunningRole;
let own: TestTenant;
let url: string;
let dir: string;

beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  ingest = await startIngest(t.ctx, { visibilityMs: 30_000 });
  finalizer = await startFinalizer(t.ctx, { sweepMs: 3_600_000 });
  own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A', 'B'], stock: [['H1', 'A', 10]] });
  dir = await mkdtemp(path.join(os.tmpdir(), 'oms-cli-client-'));
});
afterAll(async () => {
  await ingest.stop();
  await finalizer.stop();
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `oms …` and answers its exit code and output (a failing command does not throw). */
function oms(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/oms.mjs', ...args],
      { env: { ...process.env, OMS_URL: url, OMS_API_KEY: own.key, OMS_ADMIN_API_KEY: '', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const csv = [
  'order_id,customer_name,customer_email,product_name,sku,hub_id,quantity,unit_price,total_amount,order_date,shipping_address',
  'C1,Ann,ann@x.io,Shirt,A,H1,2,10.00,20.00,2026-01-05,1 Main St',
  'C2,Bob,bob@x.io,Cap,B,H1,1,5.00,5.00,2026-01-05,2 Main St',
  'C3,Cy,cy@x.io,Cap,NOPE,H1,1,5.00,5.00,2026-01-05,3 Main St',
].join('\n');

it('import --wait uploads, shows progress to 100%, prints the summary and where the errors are, and exits 0', async () => {
  const file = path.join(dir, 'orders.csv');
  await writeFile(file, csv);
  const run = await oms(['import', file, '--wait']);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain('Completed: 3 rows, 2 valid, 1 invalid; 2 orders created.');
  expect(run.stdout).toMatch(new RegExp(`GET ${url}/uploads/[0-9a-f-]{36}/errors`));
  expect(run.stderr).toMatch(/\[#{30}\] 100%\s+completed\s+rows 3 \(valid 2, invalid 1\)/);

  const again = await oms(['import', file, '--wait', '--json']); // the same file: nothing twice
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({
    status: 'completed',
    orders_created: 0,
    bytes_done: Buffer.byteLength(csv),
    size_bytes: Buffer.byteLength(csv),
  });
});

it('import exits 1 when the upload failed, and 2 for a missing file or key, saying why', async () => {
  const empty = path.join(dir, 'empty.csv');
  await writeFile(empty, '');
  const failed = await oms(['import', empty, '--wait']);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/^Failed: .*empty/m);

  const missing = await oms(['import', path.join(dir, 'nope.csv')]);
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
  const keyless = await oms(['import', empty], { OMS_API_KEY: '' });
  expect(keyless).toMatchObject({ code: 2, stderr: expect.stringContaining('an API key is needed') });
  const wrongKey = await oms(['orders', 'list', '--key', 'oms_wrong']);
  expect(wrongKey).toMatchObject({ code: 1, stderr: expect.stringContaining('401') });
});

it('orders list and get, as a table and as JSON', async () => {
  const listed = await oms(['orders', 'list', '--json', '--reference', 'C1']);
  expect(listed.code, listed.stderr).toBe(0);
  const page = JSON.parse(listed.stdout);
  expect(page.data).toHaveLength(1);
  const id = page.data[0].id;
  const table = await oms(['orders', 'list', '--limit', '1']);
  expect(table.stdout.split('\n')[0]).toMatch(/^id\s+reference\s+status\s+hub\s+total\s+created_at$/);
  expect(table.stdout).toContain('More: oms orders list --cursor');
  const got = await oms(['orders', 'get', id]);
  expect(got.stdout).toContain(`Order ${id} (C1)`);
  expect(got.stdout).toMatch(/A\s+Shirt\s+2\s+10\.00/);
  expect((await oms(['orders', 'get', id, '--json'])).stdout).toContain('"reference": "C1"');
  const byReference = await oms(['orders', 'get', 'C1']);
  expect(byReference.stdout).toContain(`Order ${id} (C1)`);
  expect(byReference.stdout).toContain('customer Ann <ann@x.io>');
  expect(await oms(['orders', 'get', 'NO-SUCH-REF'])).toMatchObject({
    code: 1,
    stderr: expect.stringContaining('no order has the id or reference "NO-SUCH-REF"'),
  });
  expect((await oms(['orders', 'frob'])).code).toBe(2);
});

it('orders ship (part, then the rest) and return, by reference', async () => {
  const created = await own.as('POST', '/orders', {
    body: { reference: 'SHIP-1', customer: { name: 'S', email: 's@x.io' }, hub: 'H1', items: [{ sku: 'A', quantity: 3 }] },
  });
  expect(created.status).toBe(201);
  await finalizer.drain();
  const part = await oms(['orders', 'ship', 'SHIP-1', '--items', 'A=1', '--tracking', 'TRK-9']);
  expect(part.code, part.stderr).toBe(0);
  expect(part.stdout).toContain('partially_shipped');
  expect(part.stdout).toMatch(/H1\s+shipped\s+A=1\s+TRK-9/);
  expect(part.stdout).toMatch(/H1\s+pending\s+A=2/);
  expect((await oms(['orders', 'ship', 'SHIP-1', '--items', 'A=x'])).code).toBe(2);
  const rest = await oms(['orders', 'ship', 'SHIP-1', '--json']);
  expect(JSON.parse(rest.stdout)).toEqual([expect.objectContaining({ status: 'shipped', items: [{ sku: 'A', quantity: 2 }] })]);
  expect((await own.as('PUT', `/orders/${created.body.id}/status`, { body: { status: 'delivered' } })).status).toBe(200);
  const back = await oms(['orders', 'return', 'SHIP-1', '--items', 'A=1:damaged,A=1', '--reason', 'torn', '--json']);
  expect(back.code, back.stderr).toBe(0);
  expect(JSON.parse(back.stdout)).toMatchObject({
    reason: 'torn',
    items: [
      { sku: 'A', hub: 'H1', quantity: 1, disposition: 'damaged' },
      { sku: 'A', hub: 'H1', quantity: 1, disposition: 'restock' },
    ],
  });
  const over = await oms(['orders', 'return', 'SHIP-1', '--items', 'A=2']);
  expect(over.code).toBe(1);
  expect(over.stderr).toContain('409');
  // 3 shipped, 1 restocked: back to the 10 the next test starts from.
  expect((await own.as('PUT', '/inventory', { body: { hub: 'H1', sku: 'A', on_hand: 10 } })).status).toBe(200);
});

it('inventory get and set, with the compare-and-swap guard', async () => {
  const set = await oms(['inventory', 'set', '--hub', 'H1', '--sku', 'B', '--on-hand', '7', '--reason', 'count']);
  expect(set.code, set.stderr).toBe(0);
  expect(set.stdout).toMatch(/H1\s+B\s+7\s+0\s+0\s+7/);
  const delta = await oms(['inventory', 'set', '--hub', 'H1', '--sku', 'B', '--delta', '3', '--expected', '7', '--json']);
  expect(JSON.parse(delta.stdout)).toMatchObject({ on_hand: 10 });
  const stale = await oms(['inventory', 'set', '--hub', 'H1', '--sku', 'B', '--delta', '1', '--expected', '7']);
  expect(stale.code).toBe(1);
  expect(stale.stderr).toContain('409');
  const got = await oms(['inventory', 'get', '--hub', 'H1', '--skus', 'A,B', '--json']);
  expect(JSON.parse(got.stdout).data.map((l: { sku: string; on_hand: number }) => [l.sku, l.on_hand])).toEqual([
    ['A', 10],
    ['B', 10],
  ]);
  expect((await oms(['inventory', 'set', '--hub', 'H1', '--sku', 'B'])).stderr).toContain('exactly one of --on-hand N or --delta N');
  expect((await oms(['inventory', 'set', '--hub', 'H1', '--sku', 'B', '--on-hand', 'x'])).stderr).toContain('--on-hand must be a whole number');
});

it('holds: create, change, extend, list and release; a shortage names each line', async () => {
  const created = await oms(['holds', 'create', '--items', 'A=2@H1', '--reference', 'cart-9', '--expires-in', '600', '--json']);
  expect(created.code, created.stderr).toBe(0);
  const hold = JSON.parse(created.stdout);
  expect(hold).toMatchObject({ reference: 'cart-9', status: 'active', lines: [{ sku: 'A', hub: 'H1', quantity: 2 }] });
  const changed = await oms(['holds', 'items', hold.id, '--items', 'A=3']);
  expect(changed.code, changed.stderr).toBe(0);
  expect(changed.stdout).toContain(`Hold ${hold.id} (cart-9): active`);
  expect(changed.stdout).toMatch(/A\s+H1\s+3/);
  expect((await oms(['holds', 'extend', hold.id, '--expires-in', '60'])).code).toBe(0);
  const short = await oms(['holds', 'create', '--items', 'A=100']);
  expect(short.code).toBe(1);
  expect(short.stderr).toMatch(/- A: asked 100, available \d+\n/);
  const listed = await oms(['holds', 'list', '--status', 'active']);
  expect(listed.stdout).toContain(hold.id);
  const released = await oms(['holds', 'release', hold.id]);
  expect(released.stdout).toContain('released');
  const levels = await oms(['inventory', 'get', '--hub', 'H1', '--skus', 'A', '--json']);
  expect(JSON.parse(levels.stdout).data[0]).toMatchObject({ held: 0 });
  expect((await oms(['holds', 'create', '--items', 'A=x'])).stderr).toContain('is not SKU=QUANTITY');
});

it('with no command, prints help and exits 0', async () => {
  const help = await oms([]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: oms <command>/);
  expect(help.stdout).toContain('orders get ID-OR-REFERENCE');
});
