/**
 * The peer of `npm run bench -- reservations`: Medusa v2's Inventory module, loaded standalone
 * (no Medusa server) against the database in DATABASE_URL, which it migrates and TRUNCATEs:
 * give it a throw-away one. The bench starts it in its own process on the same server.
 *
 *  1. seed ITEMS (1,000) inventory items with a level each at one location, plenty of stock;
 *  2. warm up, then CALLERS (32) concurrent callers reserve 1 unit of a random item, each call
 *     createReservationItems, for SECONDS;
 *  3. 500 concurrent 1-unit reservations of one item stocked 100, without Medusa's lock: how
 *     many succeed (more than 100 is an oversell).
 * The last line of stdout is the JSON result: { rps, p50_ms, p99_ms, failures, succeeded_without_lock }.
 */
import { MedusaApp, MedusaModule } from '@medusajs/framework/modules-sdk';
import { ContainerRegistrationKeys, Modules } from '@medusajs/framework/utils';
import { logger } from '@medusajs/framework/logger';

const SECONDS = Number(process.env.SECONDS ?? 10);
const CALLERS = Number(process.env.CALLERS ?? 32);
const ITEMS = Number(process.env.ITEMS ?? 1000);
const LOCATION = 'sloc_bench';

// Medusa logs each module's loading at info level; the bench's output is the JSON line.
const quiet = Object.create(logger);
quiet.info = () => {};

const app = await MedusaApp({
  modulesConfig: {
    [Modules.INVENTORY]: { resolve: '@medusajs/inventory' },
    [Modules.LOCKING]: { resolve: '@medusajs/locking' },
    // MedusaApp looks for the link modules of a full install; a module with nothing to link stands in.
    [Modules.LINK]: { initialize: async () => undefined, getMigrationPlanner: () => undefined },
  },
  sharedResourcesConfig: { database: { clientUrl: process.env.DATABASE_URL } },
  injectedDependencies: { [ContainerRegistrationKeys.LOGGER]: quiet },
});
await app.runMigrations();
const inventory = app.modules[Modules.INVENTORY];

const items = await inventory.createInventoryItems(Array.from({ length: ITEMS }, (_, i) => ({ sku: `S${i}`, title: `SKU ${i}` })));
await inventory.createInventoryLevels(items.map((item) => ({ inventory_item_id: item.id, location_id: LOCATION, stocked_quantity: 1_000_000_000 })));
const ids = items.map((item) => item.id);
const reserveOne = (id) => inventory.createReservationItems({ inventory_item_id: id, location_id: LOCATION, quantity: 1 });

/** CALLERS callers, each reserving again as soon as its last call answered, for `seconds`. */
async function callers(seconds) {
  const latencies = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await reserveOne(ids[Math.floor(Math.random() * ids.length)]).catch(() => failures++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1));
  return { rps: (latencies.length - failures) / elapsed, p50_ms: at(50), p99_ms: at(99), failures };
}

await callers(3); // warm-up
const measured = await callers(SECONDS);

const [hot] = await inventory.createInventoryItems([{ sku: 'HOT', title: 'Hot' }]);
await inventory.createInventoryLevels([{ inventory_item_id: hot.id, location_id: LOCATION, stocked_quantity: 100 }]);
const burst = await Promise.allSettled(Array.from({ length: 500 }, () => reserveOne(hot.id)));
const succeeded_without_lock = burst.filter((r) => r.status === 'fulfilled').length;

console.log(JSON.stringify({ ...measured, succeeded_without_lock }));
await app.onApplicationShutdown();
MedusaModule.clearInstances();
process.exit(0);
