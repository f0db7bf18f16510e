/**
 * A hold-expiry process that kills itself with SIGKILL in the middle of an expiry batch: after
 * the statement that gives the first tenant's held units back and closes its holds, before the
 * batch's transaction commits.
 * argv: <postgres url | PGlite data dir>
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import { createContext } from '../../src/context';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { HoldService } from '../../src/ims/holds/service';
import { startHoldExpiry } from '../../src/ims/holds/expiry-role';

const [target] = process.argv.slice(2) as [string];
const db = target.startsWith('postgres') ? openPostgres({ url: target, poolSize: 2 }) : await openPglite({ dataDir: target });
const ctx = createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });

// The private step that moves the stock and closes the holds, wrapped: it runs, then the process dies.
const proto = HoldService.prototype as unknown as { giveBack: (...args: unknown[]) => Promise<void> };
const giveBack = proto.giveBack;
proto.giveBack = async function (this: unknown, ...args: unknown[]) {
  await giveBack.apply(this, args);
  process.kill(process.pid, 'SIGKILL');
};
const role = startHoldExpiry(ctx);
await role.drain();
process.stdout.write('finished without reaching the crash point\n');
process.exit(3);
