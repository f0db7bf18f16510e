import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/app';
import { LoopRegistry } from './loop-status';

describe('LoopRegistry', () => {
  it('shows each loop once on /metrics: its state, when it last worked and failed, and its failures', async () => {
    const registry = new Registry();
    const loops = new LoopRegistry(registry);
    const jobs = loops.loop('jobs:ingest');
    expect(loops.loop('jobs:ingest')).toBe(jobs);
    jobs.set('working');
    jobs.set('idle');
    jobs.failed(new Error('queue away'));
    const text = await registry.metrics();
    expect(text).toContain('oms_loop_state{loop="jobs:ingest",state="failing"} 1');
    expect(text).toContain('oms_loop_state{loop="jobs:ingest",state="idle"} 0');
    expect(text).toMatch(/oms_loop_last_active_timestamp_seconds\{loop="jobs:ingest"\} \d+/);
    expect(text).toMatch(/oms_loop_last_error_timestamp_seconds\{loop="jobs:ingest"\} \d+/);
    expect(text).toContain('oms_loop_errors_total{loop="jobs:ingest"} 1');
    expect(jobs.lastError?.message).toBe('queue away');
  });
});

describe('the service reports its loops', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('an event-log consumer group appears on /metrics, idle once it has caught up, stopped once stopped', async () => {
    const subscription = t.ctx.events.subscribe('probe', async () => {});
    await subscription.drain();
    await expect.poll(async () => (await t.request('GET', '/metrics', { key: null })).text).toContain('oms_loop_state{loop="event-log:probe",state="idle"} 1');
    await subscription.stop();
    expect((await t.request('GET', '/metrics', { key: null })).text).toContain('oms_loop_state{loop="event-log:probe",state="stopped"} 1');
  });
});
