/**
 * Two API processes on one database, each with its own cache connection: a catalog write in
 * one is seen by the other's next look-up at once when the cache is Redis (shared, invalidated
 * after commit). With the in-process LRU the other process keeps its stale entry until the TTL,
 * which this test also shows, so the Redis half cannot pass by accident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { randomBytes } from 'node:crypto';
import { buildTestApp, expectStatus, seedCatalog, ADMIN_KEY, type TestApp, type TestTenant } from '../../../test/helpers/app';
import { loadConfig } from '../../config/index';
import { closeContext, createContext, type AppContext } from '../../context';
import { buildApp } from '../../http/app';
import { redisReachable, TEST_REDIS_URL } from '../../../test/helpers/redis';
import type { Api } from '../../http/types';

const REDIS_URL = TEST_REDIS_URL;
const hasRedis = await redisReachable();
if (!hasRedis) console.log(`Redis invalidation test SKIPPED: nothing answers at ${REDIS_URL}`);

/** "Process" B: its own context, cache and app over process A's database. */
async function secondProcess(a: TestApp, env: Record<string, string>): Promise<{ ctx: AppContext; app: Api }> {
  const config = loadConfig({ OMS_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', DATA_DIR: a.ctx.config.dataDir, ...env });
  const ctx = createContext({ config, logger: pino({ level: 'silent' }), db: a.ctx.db });
  return { ctx, app: await buildApp(ctx) };
}

const cases: [name: string, env: Record<string, string>, available: boolean, seesRename: boolean][] = [
  ['Redis', { REDIS_URL, CACHE_TTL_SECONDS: '3600' }, hasRedis, true],
  ['in-process LRU', { CACHE_TTL_SECONDS: '3600' }, true, false],
];

for (const [name, env, available, seesRename] of cases) {
  describe.skipIf(!available)(`catalog cache across processes: ${name}`, () => {
    let a: TestApp;
    let b: { ctx: AppContext; app: Api };
    let own: TestTenant;
    beforeAll(async () => {
      a = await buildTestApp(env);
      b = await secondProcess(a, env);
      // Keys hold the tenant id, so runs and test files never share entries.
      own = await a.tenant(`inv${randomBytes(3).toString('hex')}`);
      await seedCatalog(own, { hubs: ['H1'], skus: ['A'], stock: [['H1', 'A', 5]] });
    });
    afterAll(async () => {
      await b.app.close();
      await closeContext(b.ctx);
      await a.close();
    });

    const levelsInB = (skus: string) => b.app.inject({ method: 'GET', url: `/inventory?hub=H1&skus=${skus}`, headers: { authorization: `Bearer ${own.key}` } });

    it(
      seesRename
        ? 'a renamed SKU is found by its new code, and not by its old one, in the other process at once'
        : 'the other process keeps its stale entry until the TTL',
      async () => {
        expect((await levelsInB('A')).statusCode).toBe(200); // B caches A's look-up
        const sku = (await own.as('GET', '/skus?limit=10')).body.data.find((s: { code: string }) => s.code === 'A');
        await expectStatus(own.as('PATCH', `/skus/${sku.id}`, { body: { code: 'A-NEW' } }), 200);
        const renamed = await levelsInB('A-NEW');
        expect(renamed.statusCode).toBe(200);
        expect(renamed.json().data[0]).toMatchObject({ sku: 'A-NEW', on_hand: 5 });
        const old = await levelsInB('A');
        if (seesRename)
          expect(old.statusCode).toBe(422); // unknown SKU
        else expect(old.statusCode).toBe(200); // served from B's own stale cache
      },
    );
  });
}
