/**
 * The service as a user runs it, for benchmarks: `bin/oms.mjs start` in its own process, with
 * the node flags of `npm start`, driven over HTTP on loopback.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { openAsBlob } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { FormData, request } from 'undici';

export const ADMIN = 'bench-admin-key-0123456789';

export interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A port the OS has just handed out as free (a random pick could be a client socket's ephemeral port). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts the service (all roles unless `env.OMS_ROLES` says otherwise) and waits until it is
 * ready; once more on another port if its port was taken in between.
 */
export async function startService(env: Record<string, string>, dir = '.'): Promise<Service> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServiceOnce(env, await freePort(), dir);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** `dir`: the checkout to run (another revision's worktree, for a side-by-side comparison). */
async function startServiceOnce(env: Record<string, string>, port: number, dir: string): Promise<Service> {
  // Started as `npm start` starts it (with its node flags: the heap cap), without npm's own
  // process in between, so that the RSS read is the service's. BENCH_SERVICE_NODE_ARGS replaces
  // the flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" or "" for none.
  const startScript: string = JSON.parse(await readFile(`${dir}/package.json`, 'utf8')).scripts.start;
  const startFlags = startScript.split(' ').filter((word) => word.startsWith('--'));
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS === undefined ? startFlags : process.env.BENCH_SERVICE_NODE_ARGS.split(' ').filter(Boolean);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port), OMS_ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'warn' };
  if (env.OMS_ROLES === undefined) delete childEnv.OMS_ROLES; // the default: every role
  const child = spawn(process.execPath, [...nodeArgs, 'bin/oms.mjs', 'start'], {
    cwd: dir,
    env: childEnv,
    stdio: ['ignore', process.env.BENCH_SERVICE_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ready = await request(`${url}/ready`)
      .then((r) => r.body.text().then(() => r.statusCode))
      .catch(() => 0);
    if (ready === 200) break;
    if (i > 600 || child.exitCode !== null) throw new Error('service did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One JSON request with a bearer key; a non-2xx answer throws with its body. */
export async function call(url: string, method: 'GET' | 'POST' | 'PUT', pathName: string, key: string, body?: unknown) {
  const res = await request(`${url}${pathName}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${pathName}: ${res.statusCode} ${text}`);
  return JSON.parse(text);
}

/** Uploads a CSV file as multipart (POST /orders/upload, 202); answers the upload's id. */
export async function uploadFile(service: Service, key: string, file: string): Promise<string> {
  const form = new FormData();
  form.append('file', await openAsBlob(file, { type: 'text/csv' }), 'bench.csv');
  const res = await request(`${service.url}/orders/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const accepted = JSON.parse(await res.body.text());
  if (res.statusCode !== 202) throw new Error(`upload answered ${res.statusCode}: ${JSON.stringify(accepted)}`);
  return accepted.upload_id;
}

/** A process's memory from /proc, in kB: VmRSS now, or VmHWM (the kernel's own high-water mark). */
export const rssKb = async (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** The service's peak RSS so far, in MB. */
export const peakRssMb = async (service: Service) => Math.round((await rssKb(service.pid, 'VmHWM')) / 1024);

/** CPU seconds (user + system) used so far by these processes; gone ones count as 0. */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** The PostgreSQL server's processes on this machine (its backends included). */
export async function postgresPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') pids.push(Number(entry));
  }
  return pids;
}
