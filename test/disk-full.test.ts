/**
 * The embedded database on a disk that fills up: the service, started as `npm start` starts it
 * on PGlite with DATA_DIR on a small tmpfs of its own, meets a disk nearly full in the middle of
 * an upload. It must keep answering (reads served, writes refused with a 503 naming the disk,
 * /ready 503 saying why), never wedge, and once space is freed, finish the upload with all its
 * orders, take new ones, and stop on SIGTERM.
 *
 * A tmpfs needs root (CI runs as root); elsewhere the test skips, saying so.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from './helpers/db';
import { freePort } from './helpers/ports';
import { startRole, type RoleProcess } from './helpers/role-process';

const run = promisify(execFile);
const ADMIN_KEY = `disk-admin-${randomBytes(8).toString('hex')}`;
const MIN_FREE_MB = 64;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let mountPoint: string | undefined;
let skipReason: string | undefined;
if (testEngine() !== 'pglite') skipReason = 'it is about the embedded database';
else {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir]);
    mountPoint = dir;
  } catch (error) {
    skipReason = `no tmpfs could be mounted (${(error as Error).message.split('\n')[0]})`;
    await rm(dir, { recursive: true, force: true });
  }
}
if (skipReason) console.log(`disk-full test skipped: ${skipReason}`);

async function freeMb(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return (stats.bavail * stats.bsize) / 1024 / 1024;
}

async function api(base: string, key: string, method: string, url: string, body?: unknown) {
  const began = Date.now();
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    ms: Date.now() - began,
    retryAfter: res.headers.get('retry-after'),
    body: text && text.startsWith('{') ? JSON.parse(text) : text,
  };
}

describe.skipIf(skipReason !== undefined)('the embedded database on a disk that fills up', () => {
  let service: RoleProcess | undefined;
  beforeAll(() => {});
  afterAll(async () => {
    await service?.kill('SIGKILL');
    if (mountPoint) {
      await run('umount', [mountPoint]).catch(() => undefined);
      await rm(mountPoint, { recursive: true, force: true });
    }
  });

  it('refuses writes before PGlite is asked (503, /ready 503), keeps reading, and recovers when space is freed', async () => {
    const dataDir = mountPoint!;
    const port = await freePort();
    service = await startRole(
      'service',
      'api,ingest,finalizer,webhooks',
      {
        DATA_DIR: dataDir,
        DATA_DIR_MIN_FREE_MB: String(MIN_FREE_MB),
        OMS_ADMIN_API_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        INGEST_BATCH_ROWS: '500',
        RATE_LIMIT_MAX: '0',
      },
      port,
    );
    const base = `http://127.0.0.1:${port}`;
    const tenant = await api(base, ADMIN_KEY, 'POST', '/tenants', { code: 'disk', name: 'Disk' });
    const key = (await api(base, ADMIN_KEY, 'POST', `/tenants/${tenant.body.id}/api-keys`)).body.key as string;
    expect((await api(base, key, 'POST', '/hubs', { code: 'H', name: 'H' })).status).toBe(201);
    expect((await api(base, key, 'POST', '/skus', { code: 'S', name: 'S' })).status).toBe(201);
    expect((await api(base, key, 'PUT', '/inventory', { hub: 'H', sku: 'S', on_hand: 1_000_000 })).status).toBe(200);

    // An upload under way when the disk fills.
    const rows = 20_000;
    const lines = ['order_id,customer_email,sku,hub_id,quantity'];
    for (let n = 1; n <= rows; n++) lines.push(`D-${n},b${n % 100}@disk.test,S,H,1`);
    const form = new FormData();
    form.append('file', new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), 'disk.csv');
    const upload = await api(base, key, 'POST', '/orders/upload', form);
    expect(upload.status).toBe(202);

    // Fill the disk to 40 MB free: below the minimum, above what PGlite needs to stay sane.
    const filler = path.join(dataDir, 'filler.bin');
    await writeFile(filler, Buffer.alloc(Math.max(0, Math.floor(((await freeMb(dataDir)) - 40) * 1024 * 1024))));
    expect(await freeMb(dataDir)).toBeLessThan(MIN_FREE_MB);

    await expect.poll(async () => (await api(base, ADMIN_KEY, 'GET', '/ready')).status, { timeout: 5_000 }).toBe(503);
    const ready = await api(base, ADMIN_KEY, 'GET', '/ready');
    expect(ready.body.detail).toMatch(/MB free under DATA_DIR/);
    const refused = await api(base, key, 'POST', '/orders', { customer: { name: 'C', email: 'c@disk.test' }, hub: 'H', items: [{ sku: 'S', quantity: 1 }] });
    expect(refused).toMatchObject({ status: 503, body: { code: 'dependency.unavailable', dependency: 'disk' } });
    expect(refused.retryAfter).toBeTruthy();
    expect(refused.ms).toBeLessThan(2000);
    expect((await api(base, key, 'GET', '/orders?limit=5')).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await sleep(3000); // a while with the disk full: ingest and the finalizer wait, they do not fail the upload
    expect((await api(base, key, 'GET', `/uploads/${upload.body.upload_id}`)).body.status).not.toBe('failed');

    await rm(filler);
    await expect.poll(async () => (await api(base, ADMIN_KEY, 'GET', '/ready')).status, { timeout: 10_000 }).toBe(200);
    const placed = await api(base, key, 'POST', '/orders', { customer: { name: 'C', email: 'c@disk.test' }, hub: 'H', items: [{ sku: 'S', quantity: 1 }] });
    expect(placed.status).toBe(201);
    await expect
      .poll(async () => (await api(base, key, 'GET', `/uploads/${upload.body.upload_id}`)).body, { timeout: 120_000 })
      .toMatchObject({ status: 'completed', orders_created: rows });

    const began = Date.now();
    await service.kill('SIGTERM');
    expect(Date.now() - began).toBeLessThan(15_000);
    service = undefined;
  }, 300_000);
});
