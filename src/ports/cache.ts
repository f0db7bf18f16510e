/**
 * Cache port: a string key–value store with a time to live, used for hub/SKU look-ups.
 * Embedded: an in-process LRU (adapters/memory). Scale-out: Redis. Batch-shaped so one
 * round trip serves a whole batch of look-ups.
 */
export interface Cache {
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  setMany(entries: readonly (readonly [key: string, value: string])[], ttlSeconds: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Releases connections (Redis); absent for the in-process cache. */
  close?(): Promise<void>;
}
