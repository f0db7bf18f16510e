/**
 * The Cache port's contract, run against every implementation: the in-process LRU, and Redis
 * (the real server on 127.0.0.1:6379, or REDIS_URL; skipped with a printed reason when absent).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/helpers/eventually';
import type { Cache } from '../ports/cache';
import { MemoryCache } from './memory/lru-cache';
import { RedisCache } from './redis/cache';
import { redisReachable, TEST_REDIS_URL } from '../../test/helpers/redis';

const REDIS_URL = TEST_REDIS_URL;

const hasRedis = await redisReachable();
if (!hasRedis) console.log(`Redis cache contract SKIPPED: nothing answers at ${REDIS_URL}`);

const opened: RedisCache[] = [];
afterAll(async () => {
  for (const cache of opened) await cache.close();
});

/** [name, open two handles (two processes' view), available here, shared by the handles]. */
const implementations: [string, () => Promise<[Cache, Cache]>, boolean, boolean][] = [
  // The LRU lives in one process: its two handles are two processes' separate caches.
  ['memory', async () => [new MemoryCache(), new MemoryCache()], true, false],
  [
    'redis',
    async () => {
      const prefix = `test:${randomBytes(6).toString('hex')}:`;
      const a = new RedisCache({ url: REDIS_URL, prefix });
      const b = new RedisCache({ url: REDIS_URL, prefix });
      opened.push(a, b);
      await Promise.all([a.ready(), b.ready()]);
      return [a, b];
    },
    hasRedis,
    true,
  ],
];

for (const [name, open, available, shared] of implementations) {
  describe.skipIf(!available)(`Cache contract: ${name}`, () => {
    it('gets what was set, in key order, undefined for the rest', async () => {
      const [cache] = await open();
      await cache!.setMany(
        [
          ['a', '1'],
          ['b', 'ünï ✓'],
        ],
        60,
      );
      expect(await cache!.getMany(['b', 'missing', 'a'])).toEqual(['ünï ✓', undefined, '1']);
      expect(await cache!.getMany([])).toEqual([]);
    });

    it('deletes, and entries expire after their time to live', async () => {
      const [cache] = await open();
      await cache!.setMany(
        [
          ['k1', 'x'],
          ['k2', 'y'],
        ],
        60,
      );
      await cache!.delete(['k1', 'absent']);
      expect(await cache!.getMany(['k1', 'k2'])).toEqual([undefined, 'y']);
      await cache!.setMany([['short', 'z']], 1);
      await eventually(async () => expect(await cache!.getMany(['short'])).toEqual([undefined]));
    });

    it.runIf(shared)('an invalidation by one handle is seen by every other at once (shared stores)', async () => {
      const [a, b] = await open();
      await a.setMany([['hub:H1', 'v1']], 60);
      expect(await b.getMany(['hub:H1'])).toEqual(['v1']);
      await b.delete(['hub:H1']);
      expect(await a.getMany(['hub:H1'])).toEqual([undefined]);
    });

    it.runIf(!shared)("a per-process cache is its process's own: another sees none of it, and its deletes touch only its own", async () => {
      const [a, b] = await open();
      await a.setMany([['hub:H1', 'v1']], 60);
      expect(await b.getMany(['hub:H1'])).toEqual([undefined]);
      await b.setMany([['hub:H1', 'v2']], 60);
      await b.delete(['hub:H1']);
      expect(await a.getMany(['hub:H1'])).toEqual(['v1']);
    });
  });
}
