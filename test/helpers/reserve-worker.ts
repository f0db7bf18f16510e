/**
 * A separate process that reserves through the service against a shared PostgreSQL database.
 * argv: <database url> <tenant id> <first order number> <count>. Prints {"reserved":n,"insufficient":n}.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import { createContext } from '../../src/context';
import { openPostgres } from '../../src/db/postgres';

const [url, tenantId, first, count] = process.argv.slice(2) as [string, string, string, string];
const db = openPostgres({ url, poolSize: 4 });
const ctx = createContext({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), db });
const tally = { reserved: 0, insufficient: 0 };
await Promise.all(
  Array.from({ length: Number(count) }, async (_, i) => {
    const result = await ctx.ims.reservations.reserve(tenantId, {
      order_id: `proc-${Number(first) + i}`,
      hub: 'H1',
      items: [{ sku: 'A', quantity: 1 }],
    });
    tally[result.outcome === 'insufficient' ? 'insufficient' : 'reserved']++;
  }),
);
await db.close();
process.stdout.write(JSON.stringify(tally));
