/**
 * Fairness between tenants (`npm run bench -- fairness`), the service started as `npm start`
 * starts it (embedded database): tenant B's `GET /inventory/summary` latency, sampled every
 * 50 ms, first alone (the baseline, same run), then while tenant A keeps 100 `GET /stats` in
 * flight all the time from another process (bench/lib/hog.mjs); and again on a service without
 * the per-tenant limit, to show what it buys. Prints p50/p99 and A's 429s.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { percentile } from './lib/server-db';
import { ADMIN, call, startService } from './lib/service';
import { record } from './lib/summary';

const SAMPLES = Number(process.env.BENCH_FAIRNESS_SAMPLES || 100);
const HOG_CONCURRENCY = 100;

async function tenant(url: string, code: string): Promise<string> {
  const created = await call(url, 'POST', '/tenants', ADMIN, { code, name: code });
  return (await call(url, 'POST', `/tenants/${created.id}/api-keys`, ADMIN)).key;
}

async function sampleLatency(url: string, key: string, dispatcher: Agent): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const res = await request(`${url}/inventory/summary`, { headers: { authorization: `Bearer ${key}` }, dispatcher });
    await res.body.text();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return times;
}

/** B's latency alone, then while A floods from another process; on a service started with `env`. */
async function measure(env: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-fairness-'));
  const service = await startService({ DATA_DIR: dir, ...env });
  const quiet = new Agent({ connections: 2 });
  try {
    const [a, b] = [await tenant(service.url, 'hog'), await tenant(service.url, 'calm')];
    for (const key of [a, b]) await call(service.url, 'POST', '/hubs', key, { code: 'H1', name: 'Hub' });
    const alone = await sampleLatency(service.url, b, quiet);
    const hog = fork(path.resolve('bench/lib/hog.mjs'), {
      env: { ...process.env, HOG_URL: `${service.url}/stats`, HOG_KEY: a, HOG_CONCURRENCY: String(HOG_CONCURRENCY) },
    });
    await once(hog, 'message');
    const busy = await sampleLatency(service.url, b, quiet);
    const done = once(hog, 'message');
    hog.kill('SIGTERM');
    const [answers] = (await done) as [{ served: number; refused: number }];
    return { alone, busy, answers };
  } finally {
    await quiet.close();
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runFairnessBench(): Promise<void> {
  const fair = await measure({});
  // The same run without the per-tenant turn-taking: what it buys.
  const unfair = await measure({ TENANT_MAX_CONCURRENT_REQUESTS: '10000' });
  const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
  console.log(
    `\nTenant B's GET /inventory/summary, ${SAMPLES} samples 50 ms apart; tenant A keeps ${HOG_CONCURRENCY} GET /stats in flight from another process`,
  );
  console.log(`  B alone:                                 p50 ${p(fair.alone, 50)} ms  p99 ${p(fair.alone, 99)} ms`);
  console.log(
    `  B while A floods (defaults, 8 per tenant): p50 ${p(fair.busy, 50)} ms  p99 ${p(fair.busy, 99)} ms   A: ${fair.answers.served} served, ${fair.answers.refused} refused`,
  );
  console.log(`  B while A floods (no per-tenant limit):    p50 ${p(unfair.busy, 50)} ms  p99 ${p(unfair.busy, 99)} ms   A: ${unfair.answers.served} served`);
  record({
    bench: 'fairness',
    figure: "B's summary p99 while A floods",
    value: percentile(fair.busy, 99),
    unit: 'ms',
    baseline: { label: 'B alone, p99', value: percentile(fair.alone, 99) },
  });
  record({
    bench: 'fairness',
    figure: "B's p99 while A floods, limit vs none",
    value: percentile(fair.busy, 99),
    unit: 'ms',
    baseline: { label: 'no per-tenant limit', value: percentile(unfair.busy, 99) },
  });
  console.log(
    JSON.stringify({
      bench: 'fairness',
      alone_p99_ms: percentile(fair.alone, 99),
      busy_p50_ms: percentile(fair.busy, 50),
      busy_p99_ms: percentile(fair.busy, 99),
      unlimited_busy_p50_ms: percentile(unfair.busy, 50),
      unlimited_busy_p99_ms: percentile(unfair.busy, 99),
      hog: fair.answers,
    }),
  );
}
