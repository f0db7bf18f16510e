import { LRUCache } from 'lru-cache';
import type { Cache } from '../../ports/cache';

/** The embedded cache: an LRU bounded by entry count, private to this process. */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>;

  constructor(maxEntries = 50_000) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.lru.get(key));
  }

  async setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void> {
    for (const [key, value] of entries) this.lru.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.lru.delete(key);
  }
}
