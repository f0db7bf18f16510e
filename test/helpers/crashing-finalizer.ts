/**
 * A finalizer process that kills itself with SIGKILL at an injected point, for crash tests.
 * argv: <postgres url | PGlite data dir> <after-reserve | after-move>
 *   after-reserve: IMS has reserved the order, the order was not moved yet;
 *   after-move:    the order moved to new_order, the event offset was not committed yet.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import { createContext } from '../../src/context';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { startFinalizer } from '../../src/oms/orders/finalizer-role';

const [target, point] = process.argv.slice(2) as [string, 'after-reserve' | 'after-move'];
const db = target.startsWith('postgres') ? openPostgres({ url: target, poolSize: 2 }) : await openPglite({ dataDir: target });
const ctx = createContext({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const die = () => process.kill(process.pid, 'SIGKILL');

if (point === 'after-reserve') {
  const inventory = ctx.oms.inventory;
  const reserve = inventory.reserve.bind(inventory);
  const reserveMany = inventory.reserveMany.bind(inventory);
  inventory.reserve = async (...args) => {
    const result = await reserve(...args);
    die();
    return result;
  };
  inventory.reserveMany = async (...args) => {
    const result = await reserveMany(...args);
    die();
    return result;
  };
} else {
  const held = ctx.oms.heldOrders;
  const markReserved = held.markReserved.bind(held);
  held.markReserved = async (...args) => {
    const result = await markReserved(...args);
    die();
    return result;
  };
}
const role = await startFinalizer(ctx);
await role.drain();
process.stdout.write('finished without reaching the crash point\n');
process.exit(3);
