/**
 * The real command line over real HTTP on loopback: `oms migrate`, `oms seed-demo`, then
 * `oms start` serving the seeded key, and a clean exit on SIGTERM.
 */
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, testEngine, type TestDatabase } from './helpers/db';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/ports';

const run = promisify(execFile);
let dataDir: string;
let database: TestDatabase | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'oms-cli-'));
  env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', OMS_ADMIN_API_KEY: '', DATABASE_URL: '' };
  if (testEngine() === 'postgres') {
    database = await createTestDatabase({ poolSize: 1 });
    await database.db.close();
    env.DATABASE_URL = database.url;
  }
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await database?.drop().catch(() => undefined);
});

it('migrate, seed-demo, start, serve, and stop on SIGTERM', async () => {
  const migrated = await run(process.execPath, ['bin/oms.mjs', 'migrate'], { env });
  expect(migrated.stdout).toMatch(/Applied|Nothing to apply/);

  const seeded = await run(process.execPath, ['bin/oms.mjs', 'seed-demo'], { env });
  const key = /OMS_KEY=(\S+)/.exec(seeded.stdout)?.[1];
  expect(key).toMatch(/^oms_/);
  expect(seeded.stdout).toMatch(/Generated admin API key[^\n]*\n\s+oms_/); // first start of a new database

  const port = await freePort();
  const child = spawn(process.execPath, ['bin/oms.mjs', 'start'], { env: { ...env, PORT: String(port), HOST: '127.0.0.1' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    // On a loaded machine (other test files start whole process fleets) start-up is slow: wait for it.
    await eventually(async () => expect(output).toContain('"started"'), 120_000);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const levels = await fetch(`${base}/inventory?hub=CAI-1&skus=TSHIRT-BLK-M`, { headers: { authorization: `Bearer ${key}` } });
    expect(await levels.json()).toEqual({
      data: [{ hub: 'CAI-1', sku: 'TSHIRT-BLK-M', on_hand: 100, reserved: 0, held: 0, available: 100 }],
      next_cursor: null,
    });

    // an order through the running service: created on_hold, then reserved by the finalizer role
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        customer: { name: 'Ada', email: 'ada@example.com' },
        hub: 'CAI-1',
        items: [{ sku: 'TSHIRT-BLK-M', quantity: 2, unit_price: '12.50' }],
      }),
    });
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string; status: string; total_amount: string };
    expect(order).toMatchObject({ status: 'on_hold', total_amount: '25.00' });
    await eventually(async () => {
      const { status } = (await (await fetch(`${base}/orders/${order.id}`, { headers })).json()) as { status: string };
      expect(status).toBe('new_order');
    });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(output).toContain('"stopped"');
  expect(output).not.toContain(key);
}, 300_000);

it('refuses to start with bad configuration, naming the problem', async () => {
  const failed = await run(process.execPath, ['bin/oms.mjs', 'start'], { env: { ...env, PORT: 'eighty' } }).catch((e) => e);
  expect(failed.code).toBe(78);
  expect(failed.stderr).toContain('PORT must be a whole number');
});

it('a start on a busy port exits at once with one line and code 69, before touching the data folder', async () => {
  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const port = (busy.address() as { port: number }).port;
  const fresh = await mkdtemp(path.join(os.tmpdir(), 'oms-cli-busy-'));
  try {
    const failed = await run(process.execPath, ['bin/oms.mjs', 'start'], {
      env: { ...env, DATA_DIR: fresh, DATABASE_URL: '', PORT: String(port), HOST: '127.0.0.1' },
    }).catch((e) => e);
    expect(failed.code).toBe(69);
    expect(failed.stderr).toBe(`oms: cannot listen on 127.0.0.1:${port}: the address is in use, probably by another oms; stop it, or choose another PORT\n`);
    expect(failed.stdout).toBe('');
    // It never opened (or locked, or migrated) the embedded database.
    expect(await readdir(fresh)).toEqual([]);
  } finally {
    busy.close();
    await rm(fresh, { recursive: true, force: true });
  }
});
