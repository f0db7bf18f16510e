/**
 * The entry of everything `oms` does without the server's code: help and the client commands.
 * bin/oms.mjs runs it from a small esbuild bundle, so that a client command answers in a
 * fraction of a second instead of loading TypeScript and the whole service first.
 */
import { CliError } from './api-client';
import { runClientCommand } from './client-commands';
import { USAGE } from './usage';

export const CLIENT_COMMANDS: ReadonlySet<string> = new Set(['import', 'orders', 'inventory', 'holds']);
const HELP = new Set(['help', '--help', '-h']);

/** True for what runClient handles: no command, help, or a client command. */
export function isClientCommand(command: string | undefined): boolean {
  return command === undefined || HELP.has(command) || CLIENT_COMMANDS.has(command);
}

/** Runs help or a client command and answers the exit code; a CliError becomes its message. */
export async function runClient(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || HELP.has(command)) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await runClientCommand(command, rest);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`oms: ${error.message}\n`);
    return error.exitCode;
  }
}
