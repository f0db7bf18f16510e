/**
 * Webhooks benchmark (`npm run bench -- webhooks`), on the PostgreSQL server, with a keep-alive
 * receiver in its own process (bench/lib/webhook-receiver.mjs):
 *  - dispatches/s: BENCH_DISPATCHES dispatches (default 5,000) of ~1 KB order events, sent and
 *    recorded by the dispatcher (claim, sign, send, record each attempt), against a baseline in
 *    the same run: the same requests sent by a bare undici Agent with the same concurrency, with
 *    no database at all; and the same work done the simplest way (one claiming UPDATE per 128,
 *    the sends, one recording statement per batch, in a plain loop);
 *  - latency: orders cancelled at a steady pace with the webhooks role running; the time from
 *    the cancel's commit to the order.updated webhook arriving (p50 / p99).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { loadConfig } from '../src/config/index';
import type { Db } from '../src/db/handle';
import { createContext } from '../src/context';
import { newId } from '../src/shared/ids';
import { forEachConcurrently } from '../src/shared/concurrently';
import { createDispatches } from '../src/oms/webhooks/dispatches';
import { WebhookDispatcher } from '../src/oms/webhooks/dispatcher';
import { WebhookSender } from '../src/oms/webhooks/sender';
import { signedHeaders } from '../src/oms/webhooks/signature';
import { startWebhooks } from '../src/oms/webhooks/webhooks-role';
import { createBenchDatabase, percentile } from './lib/server-db';
import { record } from './lib/summary';

const DISPATCHES = Number(process.env.BENCH_DISPATCHES || 5000);
const LATENCY_ORDERS = Number(process.env.BENCH_LATENCY_ORDERS || 200);
const CONCURRENCY = 32;

interface Arrival {
  id: string;
  type: string;
  order: string;
  at: number;
}

async function startReceiver(reportArrivals: boolean): Promise<{ url: string; child: ChildProcess; arrivals: Arrival[] }> {
  const child = fork(path.resolve('bench/lib/webhook-receiver.mjs'), { env: { ...process.env, REPORT: reportArrivals ? '1' : '0' } });
  const arrivals: Arrival[] = [];
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  child.on('message', (m: Arrival) => arrivals.push(m));
  return { url: `http://127.0.0.1:${ready.port}/hook`, child, arrivals };
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The dispatcher's work done the simplest way: claim 128 due dispatches in one UPDATE, send
 * them 32 at a time (signed, as the dispatcher does), record them all as delivered with their
 * attempt rows in one statement; repeat until none is due. No retries, no classification, no
 * pipelining, no endpoint health.
 */
async function sameWorkFloor(db: Db, agent: Agent, url: string, secrets: string[]): Promise<void> {
  for (;;) {
    const claimed = await db.query<{ tenant_id: string; id: string; event_id: string; body: string }>(
      `UPDATE oms.webhook_dispatches SET next_attempt_at = now() + interval '1 minute'
       WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM oms.webhook_dispatches WHERE status = 'pending' AND next_attempt_at <= now()
                                 ORDER BY next_attempt_at LIMIT 128 FOR UPDATE SKIP LOCKED)
       RETURNING tenant_id, id, event_id, body`,
    );
    if (claimed.length === 0) return;
    await forEachConcurrently(claimed, CONCURRENCY, async (c) => {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        body: c.body,
        headers: { 'content-type': 'application/json', ...signedHeaders(secrets, c.event_id, c.body) },
      });
      await res.body.dump();
    });
    await db.query(
      `WITH done AS (
         UPDATE oms.webhook_dispatches SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, updated_at = now()
         WHERE tenant_id = $1 AND id = ANY($2::uuid[]) RETURNING tenant_id, id
       )
       INSERT INTO oms.webhook_attempts (tenant_id, dispatch_id, n, attempted_at, status_code, latency_ms) SELECT tenant_id, id, 1, now(), 204, 0 FROM done`,
      [claimed[0]!.tenant_id, claimed.map((c) => c.id)],
    );
  }
}

export async function runWebhooksBench(): Promise<void> {
  const bench = await createBenchDatabase('webhooks', 8);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-webhooks-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dir, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0,1,1' });
  const ctx = createContext({ config, logger: pino({ level: 'silent' }), db: bench.db });
  const report: Record<string, unknown> = { bench: 'webhooks' };
  try {
    // 1. Throughput: the dispatcher against a bare undici client, same requests, same concurrency.
    const receiver = await startReceiver(false);
    const tenantId = newId();
    const hook = await ctx.oms.endpoints.create(tenantId, { url: receiver.url, events: ['order.created'] });
    const item = { sku: 'SKU-1', quantity: 1, unit_price: '10.00' };
    const events = Array.from({ length: DISPATCHES }, (_, i) => ({
      id: newId(),
      type: 'order.created' as const,
      tenant_id: tenantId,
      occurred_at: new Date(),
      seq: i,
      tx_id: '1',
      key: String(i),
      data: {
        order: {
          id: newId(),
          reference: `B-${i}`,
          status: 'on_hold',
          hub: 'H1',
          items: Array(6).fill(item),
          total_amount: '60.00',
          currency: 'EGP',
          shipping_address: '1 Nile St, Cairo',
        },
      },
    }));
    for (let i = 0; i < events.length; i += 1000) await createDispatches(bench.db, events.slice(i, i + 1000));
    const sender = new WebhookSender({ allowPrivateNetworks: true, connections: CONCURRENCY });
    const dispatcher = new WebhookDispatcher(bench.db, sender, { schedule: [0], concurrency: CONCURRENCY });
    let started = now();
    await dispatcher.drainDue();
    const serviceSeconds = (now() - started) / 1000;
    await sender.close();
    const [counted] = await bench.db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM oms.webhook_dispatches WHERE status = 'succeeded'`);
    if (counted!.n !== DISPATCHES) throw new Error(`only ${counted!.n} of ${DISPATCHES} dispatches succeeded`);

    const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
    const again = events.map((e) => ({ ...e, id: newId() }));
    for (let i = 0; i < again.length; i += 1000) await createDispatches(bench.db, again.slice(i, i + 1000));
    started = now();
    await sameWorkFloor(bench.db, agent, receiver.url, [hook.secret]);
    const floorSeconds = (now() - started) / 1000;
    const bodies = events.map((e) => JSON.stringify({ id: e.id, type: e.type, tenant_id: e.tenant_id, occurred_at: e.occurred_at, data: e.data }));
    started = now();
    await forEachConcurrently(bodies, CONCURRENCY, async (body, i) => {
      const res = await request(receiver.url, {
        method: 'POST',
        dispatcher: agent,
        body,
        headers: { 'content-type': 'application/json', ...signedHeaders([hook.secret], events[i]!.id, body) },
      });
      await res.body.dump();
    });
    const baselineSeconds = (now() - started) / 1000;
    await agent.close();
    receiver.child.kill();
    const servicePerS = Math.round(DISPATCHES / serviceSeconds);
    const baselinePerS = Math.round(DISPATCHES / baselineSeconds);
    const floorPerS = Math.round(DISPATCHES / floorSeconds);
    console.log(`\nwebhook dispatches to a keep-alive receiver in its own process, ${DISPATCHES} dispatches, ${CONCURRENCY} in flight, PostgreSQL`);
    console.log(`dispatcher (claim, sign, send, record)  ${servicePerS}/s`);
    console.log(`baseline: bare undici, same requests      ${baselinePerS}/s   → dispatcher÷baseline ${(servicePerS / baselinePerS).toFixed(2)}`);
    console.log(
      `floor: same work, simplest loop            ${floorPerS}/s   → dispatcher÷floor ${(servicePerS / floorPerS).toFixed(2)}; floor÷bare undici ${(floorPerS / baselinePerS).toFixed(2)}`,
    );
    record({
      bench: 'webhooks',
      figure: 'dispatches (claim, sign, send, record)',
      value: servicePerS,
      unit: '/s',
      baseline: { label: 'bare undici', value: baselinePerS },
    });
    record({
      bench: 'webhooks',
      figure: 'dispatches vs the same work in a plain loop',
      value: servicePerS,
      unit: '/s',
      baseline: { label: 'claim, send, record by hand', value: floorPerS },
    });
    report.throughput = {
      dispatches: DISPATCHES,
      service_per_s: servicePerS,
      baseline_per_s: baselinePerS,
      same_work_floor_per_s: floorPerS,
      ratio: Number((servicePerS / baselinePerS).toFixed(2)),
    };

    // 2. Latency: status change (cancel) committed → its order.updated webhook arrives.
    const timed = await startReceiver(true);
    const tenant = await ctx.ims.tenants.create({ code: 'bench-hooks', name: 'Bench' });
    await ctx.ims.catalog.create(tenant.id, 'hub', { code: 'H1', name: 'Hub' });
    await ctx.ims.catalog.create(tenant.id, 'sku', { code: 'S1', name: 'SKU' });
    await ctx.oms.endpoints.create(tenant.id, { url: timed.url, events: ['order.updated'] });
    const orders = [];
    for (let i = 0; i < LATENCY_ORDERS; i++) {
      orders.push(
        await ctx.oms.orders.create(tenant.id, {
          reference: `L-${i}`,
          customer: { name: 'Ann', email: 'ann@bench.io' },
          hub: 'H1',
          items: [{ sku: 'S1', quantity: 1, unit_price: '1.00' }],
        }),
      );
    }
    const role = await startWebhooks(ctx);
    await role.drain();
    const committed = new Map<string, number>();
    for (const order of orders) {
      await ctx.oms.orders.transition(tenant.id, order.id, 'cancelled', 'bench');
      committed.set(order.id, now());
      await new Promise((r) => setTimeout(r, 20)); // ~50 status changes a second
    }
    const deadline = Date.now() + 30_000;
    while (timed.arrivals.filter((a) => a.type === 'order.updated').length < orders.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await role.stop();
    timed.child.kill();
    const latencies = timed.arrivals.filter((a) => a.type === 'order.updated' && committed.has(a.order)).map((a) => a.at - committed.get(a.order)!);
    const p50 = Number(percentile(latencies, 50).toFixed(1));
    const p99 = Number(percentile(latencies, 99).toFixed(1));
    record({ bench: 'webhooks', figure: 'status change → webhook arrived, p50', value: p50, unit: 'ms' });
    record({ bench: 'webhooks', figure: 'status change → webhook arrived, p99', value: p99, unit: 'ms' });
    console.log(`status change committed → webhook arrived, ${latencies.length} of ${orders.length} cancels at ~50/s: p50 ${p50} ms, p99 ${p99} ms`);
    report.latency = { orders: orders.length, arrived: latencies.length, p50_ms: p50, p99_ms: p99 };
    console.log(JSON.stringify(report));
  } finally {
    await bench.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
