/**
 * Hub/SKU/seller look-ups by code or id, through the cache port. Validation of inventory
 * requests, reservations (and later order rows) resolve whole batches with one cache round
 * trip and at most one query. Only hits are cached (a code created a moment ago must be found
 * at once); writes invalidate the row's id and code keys after they commit, and entries expire
 * after CACHE_TTL_SECONDS, which bounds staleness in other processes using a private cache.
 */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import type { Cache } from '../../ports/cache';
import { findCatalogRows } from './repository';
import { toRef, type CatalogKind, type CatalogRef } from './resources';

const keyOf = (tenantId: string, kind: CatalogKind, ref: string) => `ims:v1:${tenantId}:${kind}:${ref}`;

export class CatalogLookup {
  constructor(
    private readonly db: Db,
    private readonly cache: Cache,
    private readonly ttlSeconds: number,
  ) {}

  /** Resolves each ref (code or id) to its row; refs that name nothing are absent from the map. */
  async resolve(tenantId: string, kind: CatalogKind, refs: readonly string[]): Promise<Map<string, CatalogRef>> {
    const unique = [...new Set(refs)];
    const found = new Map<string, CatalogRef>();
    if (unique.length === 0) return found;

    // The cache is only a shortcut: when it does not answer (Redis away), every ref is read from the database.
    const cached = await this.cache.getMany(unique.map((ref) => keyOf(tenantId, kind, ref))).catch(() => [] as (string | undefined)[]);
    const missing: string[] = [];
    unique.forEach((ref, i) => {
      const hit = cached[i];
      if (hit === undefined) missing.push(ref);
      else found.set(ref, JSON.parse(hit) as CatalogRef);
    });
    if (missing.length === 0) return found;

    const rows = await findCatalogRows(new TenantScope(this.db, tenantId), kind, missing);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byCode = new Map(rows.map((r) => [r.code, r]));
    const entries: [string, string][] = [];
    for (const ref of missing) {
      const row = byId.get(ref) ?? byCode.get(ref);
      if (!row) continue;
      const value = toRef(row);
      found.set(ref, value);
      entries.push([keyOf(tenantId, kind, ref), JSON.stringify(value)]);
    }
    if (entries.length > 0) await this.cache.setMany(entries, this.ttlSeconds).catch(() => undefined);
    return found;
  }

  /**
   * Drops every cached entry of a row (by id and by each code it had). A cache that does not
   * answer keeps the entry until it expires (CACHE_TTL_SECONDS): the bound on staleness it had anyway.
   */
  async invalidate(tenantId: string, kind: CatalogKind, id: string, codes: readonly string[]): Promise<void> {
    await this.cache.delete([id, ...codes].map((ref) => keyOf(tenantId, kind, ref))).catch(() => undefined);
  }
}
