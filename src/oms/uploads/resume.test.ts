/**
 * Resume: an ingest worker killed with SIGKILL in the middle of a file leaves its job to
 * reappear; the retry resumes after the last committed batch, and in the end every row is
 * counted once and no order exists twice. On PGlite the child opens the same data directory.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/eventually';
import { createSharedDatabase, type SharedDatabase } from '../../../test/helpers/shared-db';
import { loadConfig } from '../../config/index';
import { createContext, type AppContext } from '../../context';
import type { Db } from '../../db/handle';
import { startIngest } from './ingest-role';

const run = promisify(execFile);
let shared: SharedDatabase;
let dataDir: string;

const contextOn = (db: Db): AppContext =>
  createContext({ config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, INGEST_BATCH_ROWS: '10' }), logger: pino({ level: 'silent' }), db });
const withDb = <T>(work: (ctx: AppContext) => Promise<T>) => shared.with((db) => work(contextOn(db)));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'oms-resume-data-'));
  shared = await createSharedDatabase();
});

afterAll(async () => {
  await shared.drop();
  await rm(dataDir, { recursive: true, force: true });
});

it('a worker killed mid-file: the retried job finishes, every row counted once, no order twice', async () => {
  // 95 rows: orders of 1–3 lines, every 10th row invalid (unknown SKU).
  const lines = ['order_id,sku,hub_id,quantity'];
  for (let row = 0, order = 0; row < 95; order++) {
    for (let k = 0; k < 1 + (order % 3) && row < 95; k++, row++) lines.push(`O${order},${row % 10 === 9 ? 'NOPE' : 'A'},H,1`);
  }
  const csv = `${lines.join('\n')}\n`;
  const { tenantId, uploadId } = await withDb(async (ctx) => {
    const tenant = await ctx.ims.tenants.create({ code: 'resume', name: 'Resume' });
    await ctx.ims.catalog.create(tenant.id, 'hub', { code: 'H', name: 'Hub' });
    await ctx.ims.catalog.create(tenant.id, 'sku', { code: 'A', name: 'A' });
    await ctx.objectStore.put(`imports/${tenant.id}/big.csv`, csv);
    const accepted = await ctx.oms.uploads.import({ tenantId: tenant.id }, `imports/${tenant.id}/big.csv`);
    return { tenantId: tenant.id, uploadId: accepted.upload_id };
  });

  const crashed = await run(process.execPath, ['--import', 'tsx', 'test/helpers/crashing-ingest.ts', shared.target, dataDir, '4', '10']).catch((e) => e);
  expect(crashed.signal).toBe('SIGKILL');

  await withDb(async (ctx) => {
    const midway = await ctx.oms.uploads.get({ tenantId }, uploadId);
    expect(midway.status).toBe('processing');
    expect(midway.rows_total).toBeGreaterThanOrEqual(40); // four batches committed before the kill
    expect(midway.rows_total).toBeLessThan(95);
    // A new worker takes the job once the dead one's visibility has run out, and finishes the file.
    const role = await startIngest(ctx);
    let done;
    try {
      done = await eventually(async () => {
        await role.drain();
        const upload = await ctx.oms.uploads.get({ tenantId }, uploadId);
        expect(upload.status).toBe('completed');
        return upload;
      });
    } finally {
      await role.stop();
    }
    const orderRows = await ctx.db.query<{ reference: string; n: number }>(
      `SELECT reference, jsonb_array_length(items)::int AS n FROM oms.orders WHERE tenant_id = $1 ORDER BY reference`,
      [tenantId],
    );
    const invalidOrders = new Set<string>();
    lines.slice(1).forEach((l) => l.includes('NOPE') && invalidOrders.add(l.split(',')[0]!));
    const expectedValid = lines.slice(1).filter((l) => !invalidOrders.has(l.split(',')[0]!));
    expect(done).toMatchObject({ status: 'completed', rows_total: 95, rows_valid: expectedValid.length, rows_invalid: 95 - expectedValid.length });
    expect(orderRows.reduce((sum, r) => sum + r.n, 0)).toBe(expectedValid.length);
    expect(new Set(orderRows.map((r) => r.reference)).size).toBe(orderRows.length);
    expect(done.orders_created).toBe(orderRows.length);
    const events = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM oms.events WHERE tenant_id = $1 AND type = 'order.created'`, [tenantId]);
    expect(events[0]!.n).toBe(orderRows.length);
    const errors = (await ctx.oms.uploads.errors({ tenantId }, uploadId)) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of errors) text += chunk.toString();
    expect(text.trim().split('\n')).toHaveLength(1 + 95 - expectedValid.length); // each invalid row once
  });
}, 60_000);
