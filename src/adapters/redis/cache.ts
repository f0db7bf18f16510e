/**
 * The Cache port on Redis (ioredis): one cache shared by every process, so an invalidation by
 * one process is seen by all at once (the in-process LRU can only expire). Keys carry a prefix
 * so that several deployments or test runs can share one Redis.
 */
import { Redis } from 'ioredis';
import type { Cache } from '../../ports/cache';

export interface RedisCacheOptions {
  url: string;
  /** Put before every key; default "oms:". */
  prefix?: string;
}

export class RedisCache implements Cache {
  private readonly redis: Redis;

  constructor(options: RedisCacheOptions) {
    // A look-up must not hang on a Redis that is down: fail fast and let the caller read the database.
    this.redis = new Redis(options.url, { keyPrefix: options.prefix ?? 'oms:', maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', () => {}); // reconnects by itself; each failed command rejects on its own
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values.map((v) => v ?? undefined);
  }

  async setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, value] of entries) pipeline.set(key, value, 'EX', Math.max(1, Math.round(ttlSeconds)));
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.unlink(...keys);
  }

  /** Resolves once connected (or rejects), for start-up and tests. */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      this.redis.once('ready', resolve);
      this.redis.once('end', () => reject(new Error('Redis connection ended')));
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
