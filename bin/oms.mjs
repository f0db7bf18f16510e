#!/usr/bin/env node
// The `oms` command. The service's sources are TypeScript, run through tsx: no build step to
// forget. Help and the client commands, which people run often and wait for, run from a small
// bundle of their own sources instead (bin/client-bundle.mjs), without loading the service.
const CLIENT = new Set([undefined, 'help', '--help', '-h', 'import', 'orders', 'inventory', 'holds']);
const argv = process.argv.slice(2);

if (CLIENT.has(argv[0])) {
  const { clientBundle } = await import('./client-bundle.mjs');
  // Where the bundle cannot be built (a read-only install), the same sources run through tsx.
  const entry = await clientBundle().catch(async () => {
    (await import('tsx/esm/api')).register();
    return new URL('../src/cli/client.ts', import.meta.url).href;
  });
  const { runClient } = await import(entry);
  process.exitCode = await runClient(argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
