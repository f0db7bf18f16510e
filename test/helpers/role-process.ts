/**
 * Runs `oms start --roles …` as a real child process (the same entry point as production), and
 * tells when it is up: /ready answering when it serves HTTP (a port is given), else its
 * "started" log line (so give those LOG_LEVEL=info).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  /** The last 20 KB of its output, for a failure message. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** E2E_NODE_ARGS: node flags for every role process (say `--cpu-prof --cpu-prof-dir=/tmp/prof`, which NODE_OPTIONS refuses). */
export async function startRole(name: string, roles: string, env: NodeJS.ProcessEnv, port?: number): Promise<RoleProcess> {
  const child = spawn(process.execPath, [...(process.env.E2E_NODE_ARGS?.split(' ') ?? []), 'bin/oms.mjs', 'start', '--roles', roles], {
    env: { ...process.env, ...env, PORT: String(port ?? 0), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  const up = async () => {
    if (port === undefined) return output.includes('"msg":"started"');
    return fetch(`http://127.0.0.1:${port}/ready`).then(
      (res) => res.ok,
      () => false,
    );
  };
  for (;;) {
    if (await up()) break;
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > 60_000) throw new Error(`${name} did not start within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    name,
    child,
    output: () => output,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
