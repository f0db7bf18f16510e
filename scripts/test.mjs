#!/usr/bin/env node
/**
 * `npm test`: lints (npm run lint), type-checks, then runs the suite on PGlite and again on the PostgreSQL server
 * (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). Without a reachable
 * server the PostgreSQL run is left out and the reason printed; PGlite always runs.
 * Extra arguments go to vitest (e.g. `npm test -- src/ims/stock`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const url = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const extra = process.argv.slice(2);

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

async function serverReachable() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

if (!process.env.SKIP_TYPECHECK) {
  console.log('> npm run lint');
  if (run('npm', ['run', '--silent', 'lint']) !== 0) process.exit(1);
  console.log('> tsc --noEmit');
  if (run('npx', ['tsc', '--noEmit']) !== 0) process.exit(1);
}

const projects = ['--project', 'pglite'];
const unreachable = await serverReachable();
if (unreachable) {
  console.log(`\nPostgreSQL server at ${url} is not reachable (${unreachable}):`);
  console.log('the suite runs on PGlite only. Set TEST_DATABASE_URL to run it on a server too.\n');
} else {
  projects.push('--project', 'postgres', '--project', 'postgres-alone');
  console.log(`\nRunning the suite on PGlite and on the PostgreSQL server at ${url}\n`);
}
// The JSON report gives one plain closing line that any CI can read.
const report = path.join(os.tmpdir(), `oms-vitest-${process.pid}.json`);
const status = run('npx', ['vitest', 'run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  TEST_DATABASE_URL: url,
});
try {
  const summary = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = summary.numPendingTests + summary.numTodoTests;
  console.log(`\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`);
  rmSync(report, { force: true });
} catch {
  // no report (vitest crashed before writing it): the exit status says enough
}
process.exit(status);
