/**
 * A process that ships one delivery and kills itself with SIGKILL at an injected point, for
 * crash tests.
 * argv: <postgres url | PGlite data dir> <tenant id> <order id> <delivery id> <after-commit | after-settle>
 *   after-commit: the shipment and its event committed in OMS; IMS not told yet;
 *   after-settle: IMS settled the shipment too; the finalizer group has not seen the event.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import { createContext } from '../../src/context';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';

const [target, tenantId, orderId, deliveryId, point] = process.argv.slice(2) as [string, string, string, string, 'after-commit' | 'after-settle'];
const db = target.startsWith('postgres') ? openPostgres({ url: target, poolSize: 2 }) : await openPglite({ dataDir: target });
const ctx = createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const die = () => process.kill(process.pid, 'SIGKILL');

const settler = ctx.oms.settler;
const applyNow = settler.applyNow.bind(settler);
settler.applyNow = async (...args) => {
  if (point === 'after-settle') await applyNow(...args);
  die();
};
await ctx.oms.fulfilment.ship(tenantId, orderId, deliveryId, { tracking_number: 'CRASH-1' });
process.stdout.write('finished without reaching the crash point\n');
process.exit(3);
