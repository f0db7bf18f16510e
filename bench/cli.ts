/**
 * Command-line start time (`npm run bench -- cli`): how long `oms orders get REF` and `oms help`
 * take, from spawning node to its exit, against the service started as `npm start` starts it
 * (embedded database). Baseline in the same run: a bare `node -e` doing the same HTTP request
 * with fetch, the least any Node client can cost. Target: the client command under 0.5 s.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { median } from './lib/server-db';
import { ADMIN, call, startService } from './lib/service';
import { record } from './lib/summary';

const RUNS = Number(process.env.BENCH_CLI_RUNS || 15);
const run = promisify(execFile);

async function timeCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  await run(process.execPath, args, { env }); // warm: the first run may build the client bundle
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run(process.execPath, args, { env });
    times.push(performance.now() - started);
  }
  return times;
}

export async function runCliBench(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-cli-'));
  const service = await startService({ DATA_DIR: dir });
  try {
    const tenant = await call(service.url, 'POST', '/tenants', ADMIN, { code: 'cli', name: 'CLI' });
    const { key } = await call(service.url, 'POST', `/tenants/${tenant.id}/api-keys`, ADMIN);
    await call(service.url, 'POST', '/hubs', key, { code: 'H1', name: 'Hub' });
    await call(service.url, 'POST', '/skus', key, { code: 'S1', name: 'SKU' });
    await call(service.url, 'POST', '/orders', key, {
      reference: 'CLI-1',
      customer: { name: 'A', email: 'a@example.com' },
      hub: 'H1',
      items: [{ sku: 'S1', quantity: 1 }],
    });
    const env = { ...process.env, OMS_URL: service.url, OMS_API_KEY: key };

    const client = median(await timeCommand(['bin/oms.mjs', 'orders', 'get', 'CLI-1'], env));
    const help = median(await timeCommand(['bin/oms.mjs', 'help'], env));
    const bare = median(
      await timeCommand(
        [
          '-e',
          `fetch(process.env.OMS_URL + '/orders?reference=CLI-1', { headers: { authorization: 'Bearer ' + process.env.OMS_API_KEY } }).then((r) => r.text()).then(console.log)`,
        ],
        env,
      ),
    );

    console.log(`\nCLI start to exit, median of ${RUNS} runs`);
    console.log(`  oms orders get REF   ${client.toFixed(0)} ms   (target < 500 ms)`);
    console.log(`  oms help             ${help.toFixed(0)} ms`);
    console.log(`  bare node + fetch    ${bare.toFixed(0)} ms   ratio ${(client / bare).toFixed(2)}`);
    record({ bench: 'cli', figure: 'oms orders get REF, start to exit', value: client, unit: 'ms', baseline: { label: 'bare node -e fetch', value: bare } });
    console.log(JSON.stringify({ bench: 'cli', runs: RUNS, orders_get_ms: Math.round(client), help_ms: Math.round(help), bare_fetch_ms: Math.round(bare) }));
  } finally {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
