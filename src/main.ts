/** Entry point: `oms start | migrate | seed-demo`, and the client commands `import | orders | inventory`. */
import { migrateCommand } from './cli/migrate';
import { seedDemo } from './cli/seed-demo';
import { start } from './cli/start';
import { CliError } from './cli/api-client';
import { CLIENT_USAGE, runClientCommand } from './cli/client-commands';
import { ConfigError, loadConfig, readEnv, type RawEnv } from './config/index';
import { DataDirInUseError } from './db/pglite-lock';

const CLIENT_COMMANDS = new Set(['import', 'orders', 'inventory']);

const USAGE = `Usage: oms <command>

Commands:
  start       run the service: the roles in OMS_ROLES (default all), or
              --roles api,ingest,finalizer,webhooks,relay (any subset)
  migrate     apply database migrations and exit
  seed-demo   create a demo tenant with hubs, SKUs and stock, and print its API key

${CLIENT_USAGE}
Configuration comes from environment variables; see README.md.
`;

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'start';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (CLIENT_COMMANDS.has(command)) {
    process.exitCode = await runClientCommand(command, argv.slice(1));
    return;
  }
  const commands: Record<string, (config: ReturnType<typeof loadConfig>) => Promise<void>> = {
    start,
    migrate: migrateCommand,
    'seed-demo': seedDemo,
  };
  const run = commands[command];
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

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError) {
    process.stderr.write(`oms: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof ConfigError || error instanceof DataDirInUseError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 78; // EX_CONFIG
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
});
