/**
 * Entry point of the service commands: `oms start | migrate | seed-demo`. Help and the client
 * commands (`import | orders | inventory`) are src/cli/client.ts, which bin/oms.mjs runs without
 * loading any of this; they are handled here too for a caller that imports this file directly.
 */
import { migrateCommand } from './cli/migrate';
import { seedDemo } from './cli/seed-demo';
import { start } from './cli/start';
import { isClientCommand, runClient } from './cli/client';
import { ListenError } from './cli/listen-check';
import { USAGE } from './cli/usage';
import { ConfigError, loadConfig } from './config/index';
import { readEnv, type RawEnv } from './config/environment';
import { DataDirInUseError } from './db/pglite-lock';
import { unavailableDependency } from './shared/dependency';

const SERVICE_COMMANDS: Record<string, (config: ReturnType<typeof loadConfig>) => Promise<void>> = {
  start,
  migrate: migrateCommand,
  'seed-demo': seedDemo,
};

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (isClientCommand(command)) {
    process.exitCode = await runClient(argv);
    return;
  }
  const run = SERVICE_COMMANDS[command!];
  if (!run) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  await run(loadConfig(withFlags(readEnv(), argv.slice(1))));
}

/** Command-line flags override their environment variable (`--roles` is OMS_ROLES). */
function withFlags(raw: RawEnv, flags: string[]): RawEnv {
  for (let i = 0; i < flags.length; i++) {
    const [name, inline] = flags[i]!.split('=', 2) as [string, string | undefined];
    if (name !== '--roles') throw new ConfigError([`unknown option "${name}"`]);
    const value = inline ?? flags[++i];
    if (value === undefined || value.startsWith('--')) throw new ConfigError(['--roles needs a list, e.g. --roles api,ingest']);
    raw = { ...raw, OMS_ROLES: value };
  }
  return raw;
}

/** Exit codes from sysexits.h, so that scripts can tell a bad setting from a busy port. */
function exitCodeOf(error: unknown): number | undefined {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) return 78; // EX_CONFIG
  if (error instanceof ListenError) return 69; // EX_UNAVAILABLE
  // A database not there at start, or the embedded one's disk nearly full: one line, and a code to retry on.
  if (unavailableDependency(error)) return 75; // EX_TEMPFAIL
  return undefined;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = exitCodeOf(error);
  if (code !== undefined) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(code); // at once: whatever a failed start opened must not keep the process alive
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
