/**
 * The README's walk-through, as a newcomer pastes it: extracted from README.md and run by bash,
 * on free ports instead of 8080 and 9000. It must run end to end; and pasted again while
 * another service holds its port, it must stop at once, saying why, and start nothing else.
 * Runs once, in the PGlite project (the walk-through uses the embedded database).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testEngine } from './helpers/db';
import { freePort } from './helpers/ports';

async function walkThrough(): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const section = readme.indexOf('## Walk-through');
  const start = readme.indexOf('```bash\n', section) + '```bash\n'.length;
  return readme.slice(start, readme.indexOf('\n```\n', start));
}

/** Runs the walk-through on the given ports; answers its exit code and output. */
async function paste(script: string, port: number, hookPort: number) {
  const onPorts = script.replace('PORT=8080', `PORT=${port}`).replace('HOOK_PORT=9000', `HOOK_PORT=${hookPort}`);
  expect(onPorts).toContain(`PORT=${port} HOOK_PORT=${hookPort}`);
  const child = spawn('bash', ['-c', onPorts], { env: { ...process.env, OMS_URL: '', OMS_API_KEY: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

async function refusesConnections(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/health`).then(
    () => false,
    () => true,
  );
}

describe.skipIf(testEngine() !== 'pglite')('the README walk-through', () => {
  it('runs end to end, then stops what it started', async () => {
    const [port, hookPort] = [await freePort(), await freePort()];
    const run = await paste(await walkThrough(), port, hookPort);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^1\. Tenant acme \([0-9a-f-]{36}\), API key oms_/m);
    expect(run.stdout).toContain('[{"sku":"CAP","requested":4,"available":2,"hub":"CAI-1"}]');
    expect(run.stdout).toContain('WEB-2 was reserved by itself once the caps arrived');
    expect(run.stdout).toMatch(/^partially_shipped$/m);
    expect(run.stdout).toMatch(/^partially_returned$/m);
    expect(run.stdout).toContain('"hub":"ALX-1","sku":"MUG","on_hand":3,"reserved":0,"held":0,"available":3');
    expect(run.stdout).toContain('"hub":"ALX-1","sku":"MUG","on_hand":3,"reserved":0,"held":2,"available":1');
    expect(run.stdout).toContain('"code":"hold.insufficient_stock"');
    expect(run.stdout).toContain('7c. The order from cart-1 is new_order, and the hold is converted');
    expect(run.stdout).toMatch(/^Hold [0-9a-f-]{36} \(cart-2\): active/m);
    expect(run.stdout).toContain('Completed: 2 rows, 2 valid, 0 invalid; 2 orders created.');
    expect(run.stdout).toContain('Order ');
    expect(run.stdout).toContain('Done. The service stops now');
    expect(await refusesConnections(port)).toBe(true);
  });

  it('pasted while another service holds the port: stops at once, loudly, having done nothing', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    try {
      const port = (busy.address() as AddressInfo).port;
      const run = await paste(await walkThrough(), port, await freePort());
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`oms: cannot listen on 127.0.0.1:${port}: the address is in use`);
      expect(run.stderr).toContain('The service did not start (see above).');
      expect(run.stdout).not.toContain('1. Tenant');
    } finally {
      busy.close();
    }
  });
});
