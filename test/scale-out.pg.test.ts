/**
 * The system as separate processes on one PostgreSQL server: an IMS apart from the OMS,
 * 2 × api, 2 × ingest, 2 × finalizer and 1 × webhooks, the uploaded files in S3 and the
 * look-up cache in Redis. CSV rows go in through one api while single orders go in through the
 * other; then: every valid row is an order exactly once, no unit is oversold, the ledger
 * matches the levels, and every event reached the local webhook receiver exactly once per
 * webhook-id. The second run kills (SIGKILL) processes mid-run and restarts them: same result.
 *
 * On the real engines (TEST_KAFKA_BROKERS, TEST_SQS_ENDPOINT and TEST_S3_ENDPOINT, from
 * `npm run engines`, as in CI): Kafka 4.1 fed by a relay process, ingest jobs on ElasticMQ,
 * files on S3Proxy, 100,000 rows; the second run also kills the relay and the Kafka broker
 * itself. Without them: s3rver, the database's queue and outbox, 20,000 rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db';
import { ENGINE_CREDENTIALS, startS3, startSqs, type S3Emulator, type SqsEmulator } from './helpers/emulators';
import { startRole, type RoleProcess } from './helpers/role-process';
import { startReceiver } from './helpers/webhook-receiver';
import { freePort } from './helpers/ports';
import { redisReachable, TEST_REDIS_URL } from './helpers/redis';
import { forEachConcurrently } from '../src/shared/concurrently';

const ADMIN_KEY = `e2e-admin-${randomBytes(8).toString('hex')}`;
const KAFKA = process.env.TEST_KAFKA_BROKERS;
const REAL_ENGINES = !!(KAFKA && process.env.TEST_SQS_ENDPOINT && process.env.TEST_S3_ENDPOINT);
// The full run's rows: 100,000 on the real engines. The run with kills takes 20,000 (40 batches
// per file at INGEST_BATCH_ROWS below, so a kill lands mid-file): enough to prove recovery,
// small enough that CI on two cores stays within its time. E2E_ROWS sets both.
const ROWS = Number(process.env.E2E_ROWS || (REAL_ENGINES ? 100_000 : 20_000));
const CRASH_ROWS = Number(process.env.E2E_ROWS || 20_000);
const SINGLES = 100;
const HUBS = ['H1', 'H2'];
const SKUS = Array.from({ length: 20 }, (_, i) => `S${String(i).padStart(2, '0')}`);
const STOCK_PER_ITEM = 400; // enough for part of the orders: the rest wait, which must not oversell
const HEADER = 'order_id,customer_name,customer_email,product_name,sku,hub_id,quantity,unit_price,total_amount,order_date,shipping_address';

const run = promisify(execFile);

/** Kills the Kafka broker outright and starts it again on its data, as an operator would: through `npm run engines`. */
async function restartKafka(): Promise<void> {
  await run(process.execPath, ['scripts/engines.mjs', 'down', 'kafka', '--kill']);
  await run(process.execPath, ['scripts/engines.mjs', 'up', 'kafka']);
}

/** On Kafka: how many messages of the topics the finalizer's and the webhooks' groups (named after `topic`) have yet to commit (Infinity while unknown). */
async function kafkaLag(topic: string, topics: readonly string[]): Promise<number> {
  const admin = new Kafka({ clientId: 'e2e-check', brokers: KAFKA!.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    let lag = 0;
    for (const group of ['finalizer', 'webhooks']) {
      for (const read of group === 'finalizer' ? [topic] : topics) {
        const ends = await admin.fetchTopicOffsets(read);
        const [committed] = await admin.fetchOffsets({ groupId: `${topic}.${group}`, topics: [read] });
        for (const end of ends) lag += Number(end.high) - Math.max(0, Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? 0));
      }
    }
    return lag;
  } catch {
    return Number.POSITIVE_INFINITY; // the broker is restarting, or the topic is not there yet
  } finally {
    await admin.disconnect();
  }
}

const hasRedis = await redisReachable();
if (!hasRedis) console.log(`scale-out test runs with the in-process cache: nothing answers at ${TEST_REDIS_URL}`);

/** Files of 1–3 line orders; every 40th order is invalid (bad quantity on all its lines). Answers the valid order count. */
function makeCsv(prefix: string, rows: number): { csv: string; validOrders: number } {
  const lines = [HEADER];
  let order = 0;
  let validOrders = 0;
  while (lines.length - 1 < rows) {
    order++;
    const invalid = order % 40 === 0;
    const size = Math.min(1 + (order % 3), rows - (lines.length - 1));
    const hub = HUBS[order % HUBS.length];
    for (let line = 0; line < size; line++) {
      const sku = SKUS[(order * 7 + line * 3) % SKUS.length];
      const quantity = invalid ? 'many' : String(1 + ((order + line) % 3));
      lines.push(
        `${prefix}${order},Buyer ${order},buyer${order % 5000}@example.com,Item,${sku},${hub},${quantity},2.50,,2026-11-0${1 + (order % 9)},${order} Long Road`,
      );
    }
    if (!invalid) validOrders++;
  }
  return { csv: lines.join('\n') + '\n', validOrders };
}

async function api<T = any>(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
}

/** Like test/helpers/eventually, but a timeout shows the last output of every process, which is where the reason is. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, processes: RoleProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\n${processes.map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('scale-out: separate role processes on one PostgreSQL server', () => {
  let database: TestDatabase;
  let s3: S3Emulator;
  let sqs: SqsEmulator | undefined;

  beforeAll(async () => {
    database = await createTestDatabase({ poolSize: 4 });
    s3 = await startS3('oms-e2e');
    if (REAL_ENGINES) sqs = await startSqs();
  });
  afterAll(async () => {
    await s3?.stop();
    await sqs?.stop();
    await database?.drop();
  });

  for (const crash of [false, true]) {
    it(
      crash
        ? `gives the same result (${CRASH_ROWS.toLocaleString('en')} rows) when an ingest and a finalizer process${REAL_ENGINES ? ', the relay and the Kafka broker are' : ' are'} killed (SIGKILL) mid-run and restarted`
        : `ingests ${ROWS.toLocaleString('en')} rows and single orders exactly once, oversells nothing, delivers every event once${REAL_ENGINES ? ' (Kafka, ElasticMQ, S3Proxy)' : ''}`,
      async () => {
        const rows = crash ? CRASH_ROWS : ROWS;
        const processes: RoleProcess[] = [];
        const dataDirs: string[] = [];
        const receiver = await startReceiver();
        try {
          const imsPort = await freePort();
          const apiPorts = [await freePort(), await freePort()];
          const common: NodeJS.ProcessEnv = {
            DATABASE_URL: database.url,
            DATABASE_POOL_SIZE: '4',
            OMS_ADMIN_API_KEY: ADMIN_KEY,
            S3_BUCKET: s3.bucket,
            S3_ENDPOINT: s3.endpoint,
            S3_FORCE_PATH_STYLE: 'true',
            AWS_ACCESS_KEY_ID: ENGINE_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: ENGINE_CREDENTIALS.secretAccessKey,
            REDIS_URL: hasRedis ? TEST_REDIS_URL : '',
            WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
            WEBHOOK_RETRY_SCHEDULE: '0,1,1,2,5',
            // 500-row batches in the run with kills (so a kill lands mid-file), the default 1,000 in the full run.
            INGEST_BATCH_ROWS: crash ? '500' : '1000',
            // Long enough that a loaded machine keeps its heartbeats in time; a killed worker's file resumes after it.
            INGEST_VISIBILITY_SECONDS: '15',
          };
          // On the real engines, each run its own topic (and so its own consumer groups) and its own queue.
          const topic = `orders-e2e-${randomBytes(4).toString('hex')}`;
          const inventoryTopic = `inventory-e2e-${randomBytes(4).toString('hex')}`;
          if (REAL_ENGINES) {
            Object.assign(common, {
              KAFKA_BROKERS: KAFKA,
              KAFKA_TOPIC: topic,
              KAFKA_INVENTORY_TOPIC: inventoryTopic,
              SQS_QUEUE_URL: await sqs!.createQueue('oms-e2e', 5),
              SQS_ENDPOINT: sqs!.endpoint,
            });
          }
          const oms = { ...common, IMS_URL: `http://127.0.0.1:${imsPort}`, IMS_API_KEY: ADMIN_KEY };
          const start = async (name: string, roles: string, env: NodeJS.ProcessEnv, port?: number) => {
            // Each process gets its own DATA_DIR: nothing may depend on a shared disk.
            const dataDir = await mkdtemp(path.join(os.tmpdir(), 'oms-e2e-'));
            dataDirs.push(dataDir);
            // Background roles say "started" at info; the apis stay at warn (info logs every request).
            const role = await startRole(name, roles, { ...env, DATA_DIR: dataDir, LOG_LEVEL: port === undefined ? 'info' : 'warn' }, port);
            processes.push(role);
            return role;
          };
          await start('ims', 'api', common, imsPort);
          const [apiA, apiB] = [`http://127.0.0.1:${apiPorts[0]}`, `http://127.0.0.1:${apiPorts[1]}`];
          await Promise.all([start('api-1', 'api', oms, apiPorts[0]), start('api-2', 'api', oms, apiPorts[1])]);
          const ingest = await Promise.all([start('ingest-1', 'ingest', oms), start('ingest-2', 'ingest', oms)]);
          const finalizers = await Promise.all([start('finalizer-1', 'finalizer', oms), start('finalizer-2', 'finalizer', oms)]);
          await start('webhooks', 'webhooks', oms);
          const relay = REAL_ENGINES ? await start('relay', 'relay', oms) : undefined;

          // A tenant with hubs, SKUs and stock, through the IMS; a webhook endpoint (order and inventory events) through the OMS.
          const code = `e2e${crash ? 'k' : 'n'}${randomBytes(3).toString('hex')}`;
          const tenant = await api(apiA, ADMIN_KEY, 'POST', '/tenants', { code, name: 'E2E' });
          const key = (await api(apiA, ADMIN_KEY, 'POST', `/tenants/${tenant.body.id}/api-keys`)).body.key as string;
          const ims = `http://127.0.0.1:${imsPort}`;
          for (const hub of HUBS) expect((await api(ims, key, 'POST', '/hubs', { code: hub, name: hub })).status).toBe(201);
          for (const sku of SKUS) expect((await api(ims, key, 'POST', '/skus', { code: sku, name: sku })).status).toBe(201);
          // The endpoint first: every event from here on is the tenant's, stock counts included.
          expect(
            (
              await api(apiA, key, 'POST', '/webhooks', {
                url: receiver.url,
                events: ['order.created', 'order.updated', 'order.deleted', 'inventory.level_changed', 'reservation.released'],
              })
            ).status,
          ).toBe(201);
          const stock = HUBS.flatMap((hub) => SKUS.map((sku) => ({ hub, sku, on_hand: STOCK_PER_ITEM })));
          expect((await api(ims, key, 'PUT', '/inventory', stock)).status).toBe(200);

          // Two files (one per ingest process) through api A; single orders through api B meanwhile.
          const files = [makeCsv(`${code}-A-`, rows / 2), makeCsv(`${code}-B-`, rows / 2)];
          const expectedCsvOrders = files[0]!.validOrders + files[1]!.validOrders;
          const uploads: string[] = [];
          for (const [i, file] of files.entries()) {
            const form = new FormData();
            form.append('file', new Blob([file.csv], { type: 'text/csv' }), `part-${i}.csv`);
            const res = await fetch(`${apiA}/orders/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
            expect(res.status).toBe(202);
            uploads.push(((await res.json()) as { upload_id: string }).upload_id);
          }
          const began = Date.now();
          const singles = forEachConcurrently(
            Array.from({ length: SINGLES }, (_, i) => i),
            4,
            async (i) => {
              const body = {
                reference: `${code}-single-${i}`,
                customer: { name: 'Single', email: `single${i}@example.com` },
                hub: HUBS[i % 2],
                items: [{ sku: SKUS[i % SKUS.length], quantity: 1, unit_price: '9.99' }],
              };
              // Sent twice with one Idempotency-Key, like a client retrying after a timeout: one order.
              for (let attempt = 0; attempt < 2; attempt++) {
                const res = await api(apiB, key, 'POST', '/orders', body, { 'idempotency-key': `${code}-single-${i}` });
                expect(res.status).toBe(201);
              }
            },
          );

          if (crash) {
            // Mid-run: wait until rows are flowing, then kill one ingest and one finalizer outright.
            await waitFor(
              'the first orders from the files',
              async () => {
                const [row] = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM oms.orders WHERE source = 'csv' AND reference LIKE $1`, [
                  `${code}-%`,
                ]);
                return row!.n > 1_000;
              },
              120_000,
              processes,
            );
            await ingest[0]!.kill('SIGKILL');
            await finalizers[0]!.kill('SIGKILL');
            const [unfinished] = await database.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM oms.uploads WHERE id = ANY($1::uuid[]) AND status <> 'completed'`,
              [uploads],
            );
            expect(unfinished!.n).toBeGreaterThan(0); // the kill really was mid-ingest
            // Then the relay and the broker itself (checked after the count: a broker restart takes seconds, in which the other ingest worker goes on).
            await relay?.kill('SIGKILL');
            if (REAL_ENGINES) await restartKafka(); // every client of it rides through the outage
            await new Promise((resolve) => setTimeout(resolve, 1000));
            await start('ingest-1 (restarted)', 'ingest', oms);
            await start('finalizer-1 (restarted)', 'finalizer', oms);
            if (relay) await start('relay (restarted)', 'relay', oms);
          }
          await singles;

          // Quiet: both uploads done, every order out of the finalizer's hands, every webhook dispatch made.
          await waitFor(
            'the uploads to complete',
            async () => {
              const rows = await database.db.query<{ status: string }>(`SELECT status FROM oms.uploads WHERE id = ANY($1::uuid[])`, [uploads]);
              return rows.every((r) => r.status === 'completed' || r.status === 'failed');
            },
            600_000,
            processes,
          );
          // The consumers' positions: in the database's consumer offsets, or (on Kafka) the relay's there and the groups' in Kafka.
          const consumers = REAL_ENGINES ? ['kafka-relay'] : ['finalizer', 'webhooks'];
          const quiet = async () => {
            const [row] = await database.db.query<{ events: number; pending: number; behind: number }>(
              `SELECT (SELECT count(*)::int FROM oms.events e JOIN ims.tenants t ON t.id = e.tenant_id WHERE t.code = $1) AS events,
                    (SELECT count(*)::int FROM oms.webhook_dispatches WHERE status <> 'succeeded') AS pending,
                    (SELECT count(*)::int FROM oms.consumer_offsets o WHERE o.consumer = ANY($2::text[])
                       AND EXISTS (SELECT 1 FROM oms.events e WHERE (e.tx_id, e.seq) > (o.tx_id, o.seq))) AS behind`,
              [code, consumers],
            );
            const settled = row!.pending === 0 && row!.behind === 0 && receiver.ids.size >= row!.events;
            return settled && (!REAL_ENGINES || (await kafkaLag(topic, [topic, inventoryTopic])) === 0);
          };
          await waitFor('every event to be handled and delivered', quiet, 600_000, processes);
          console.log(`scale-out${crash ? ' (with SIGKILL)' : ''}: quiet ${((Date.now() - began) / 1000).toFixed(1)} s after the uploads were accepted`);

          // Every valid row is an order exactly once; every single order once.
          const finished = await database.db.query<{ status: string; orders_created: number; rows_valid: number; rows_invalid: number }>(
            `SELECT status, orders_created, rows_valid, rows_invalid FROM oms.uploads WHERE id = ANY($1::uuid[])`,
            [uploads],
          );
          expect(finished.map((u) => u.status)).toEqual(['completed', 'completed']);
          expect(finished.reduce((n, u) => n + u.orders_created, 0)).toBe(expectedCsvOrders);
          expect(finished.reduce((n, u) => n + u.rows_valid + u.rows_invalid, 0)).toBe(rows);
          const [counts] = await database.db.query<{ csv: number; csv_refs: number; singles: number; single_refs: number }>(
            `SELECT count(*) FILTER (WHERE source = 'csv')::int AS csv, count(DISTINCT reference) FILTER (WHERE source = 'csv')::int AS csv_refs,
                  count(*) FILTER (WHERE reference LIKE $2)::int AS singles, count(DISTINCT reference) FILTER (WHERE reference LIKE $2)::int AS single_refs
           FROM oms.orders o JOIN ims.tenants t ON t.id = o.tenant_id WHERE t.code = $1`,
            [code, `${code}-single-%`],
          );
          expect(counts).toEqual({ csv: expectedCsvOrders, csv_refs: expectedCsvOrders, singles: SINGLES, single_refs: SINGLES });

          // No oversold unit: reserved within on hand, equal to the reservations held, one per placed order; ledger == levels.
          const [stockCheck] = await database.db.query<{ over: number; mismatched: number; placed: number; held: number; reserved: number }>(
            `WITH t AS (SELECT id FROM ims.tenants WHERE code = $1),
                held AS (SELECT l.hub_id, l.sku_id, sum(l.quantity - l.committed - l.released) AS qty FROM ims.reservations r
                         JOIN ims.reservation_lines l USING (tenant_id, order_id)
                         WHERE r.tenant_id = (SELECT id FROM t) AND r.status = 'reserved' GROUP BY 1, 2)
           SELECT (SELECT count(*)::int FROM ims.stock_levels s WHERE s.tenant_id = (SELECT id FROM t) AND s.reserved > s.on_hand) AS over,
                  (SELECT count(*)::int FROM ims.stock_levels s LEFT JOIN held h ON h.hub_id = s.hub_id AND h.sku_id = s.sku_id
                   WHERE s.tenant_id = (SELECT id FROM t) AND s.reserved <> coalesce(h.qty, 0)) AS mismatched,
                  (SELECT count(*)::int FROM oms.orders WHERE tenant_id = (SELECT id FROM t) AND status = 'new_order') AS placed,
                  (SELECT count(*)::int FROM ims.reservations WHERE tenant_id = (SELECT id FROM t) AND status = 'reserved') AS held,
                  (SELECT sum(reserved)::int FROM ims.stock_levels WHERE tenant_id = (SELECT id FROM t)) AS reserved`,
            [code],
          );
          expect(stockCheck).toMatchObject({ over: 0, mismatched: 0 });
          expect(stockCheck!.held).toBe(stockCheck!.placed);
          expect(stockCheck!.reserved).toBeGreaterThan(0);
          expect(stockCheck!.reserved).toBeLessThanOrEqual(HUBS.length * SKUS.length * STOCK_PER_ITEM);
          expect((await api(ims, key, 'GET', '/inventory/reconcile')).body).toEqual({ mismatches: [] });

          // Every event of the tenant reached the receiver (at least once; the ids are the event's ids).
          const [events] = await database.db.query<{ n: number; dispatches: number }>(
            `SELECT (SELECT count(*)::int FROM oms.events e JOIN ims.tenants t ON t.id = e.tenant_id WHERE t.code = $1) AS n,
                  (SELECT count(*)::int FROM oms.webhook_dispatches d JOIN ims.tenants t ON t.id = d.tenant_id WHERE t.code = $1 AND d.status = 'succeeded') AS dispatches`,
            [code],
          );
          expect(events!.dispatches).toBe(events!.n);
          expect(receiver.ids.size).toBe(events!.n);
          expect(receiver.requests).toBe(receiver.ids.size); // exactly once per webhook-id
          expect(events!.n).toBeGreaterThanOrEqual(expectedCsvOrders + SINGLES + stockCheck!.placed);
        } finally {
          await Promise.all(processes.map((p) => p.kill('SIGTERM')));
          receiver.server.closeAllConnections();
          receiver.server.close();
          for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
        }
      },
      900_000,
    );
  }
});
