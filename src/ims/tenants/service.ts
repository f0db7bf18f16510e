/** Tenants and their API keys: the admin's side of the system. */
import { LRUCache } from 'lru-cache';
import { pgErrorOf, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { conflict, invalid, notFound } from '../../shared/errors';
import { generateKey, hashKey } from './api-keys';
import {
  findTenant,
  insertApiKey,
  insertTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  updateTenant,
  type ApiKeyRow,
  type TenantRow,
  type TenantSettings,
} from './repository';

/** A hold's expiry may never be set beyond this, whatever a tenant's settings say (7 days). */
export const MAX_HOLD_SECONDS = 7 * 24 * 3600;

export const DEFAULT_SETTINGS: TenantSettings = {
  backorder_policy: 'hold',
  currency: 'USD',
  allocation: 'single_hub_first',
  hold_expiry_seconds: 15 * 60,
  hold_expiry_max_seconds: 24 * 3600,
};

const withDefaults = (row: TenantRow): TenantRow => ({ ...row, settings: { ...DEFAULT_SETTINGS, ...row.settings } });

/** A taken code is a 409 naming it; anything else goes on. */
const duplicateCode = (error: unknown, code: string | undefined): never => {
  if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) throw conflict('resource.duplicate_code', { resource: 'Tenant', code: code ?? '' });
  throw error;
};

/** Settings that hold together: a hold's default expiry within its maximum. */
function assertConsistent(settings: TenantSettings): void {
  if (settings.hold_expiry_seconds > settings.hold_expiry_max_seconds) {
    throw invalid([
      {
        field: 'settings.hold_expiry_seconds',
        code: 'field.maximum',
        params: { limit: settings.hold_expiry_max_seconds },
        value: String(settings.hold_expiry_seconds),
      },
    ]);
  }
}

export class TenantService {
  /** Settings read on every order, kept for a few seconds; a change here drops them at once. */
  private readonly settingsCache = new LRUCache<string, TenantSettings>({ max: 10_000, ttl: 5_000 });

  constructor(private readonly db: Db) {}

  async settings(tenantId: string): Promise<TenantSettings> {
    const known = this.settingsCache.get(tenantId);
    if (known) return known;
    const { settings } = await this.get(tenantId);
    this.settingsCache.set(tenantId, settings);
    return settings;
  }

  async create(input: { code: string; name: string; settings?: Partial<TenantSettings> }): Promise<TenantRow> {
    assertConsistent({ ...DEFAULT_SETTINGS, ...input.settings });
    const row = await insertTenant(this.db, { code: input.code, name: input.name, settings: { ...DEFAULT_SETTINGS, ...input.settings } }).catch(
      (error: unknown) => duplicateCode(error, input.code),
    );
    return withDefaults(row);
  }

  async list(query: { limit: number; cursor?: string; codes?: string[] }) {
    const rows = await listTenants(this.db, { after: decodeCursor(query.cursor), codes: query.codes, limit: query.limit + 1 });
    return toPage(rows.map(withDefaults), query.limit, (r) => r.id);
  }

  /** Finds a tenant by id or code (X-Tenant-Id accepts either). */
  async find(ref: string): Promise<TenantRow | undefined> {
    const row = await findTenant(this.db, ref);
    return row && withDefaults(row);
  }

  async get(ref: string): Promise<TenantRow> {
    const tenant = await this.find(ref);
    if (!tenant) throw notFound('Tenant', ref);
    return tenant;
  }

  async update(ref: string, patch: { code?: string; name?: string; settings?: Partial<TenantSettings> }): Promise<TenantRow> {
    const tenant = await this.get(ref);
    assertConsistent({ ...tenant.settings, ...patch.settings });
    const row = await updateTenant(this.db, tenant.id, patch).catch((error: unknown) => duplicateCode(error, patch.code));
    this.settingsCache.delete(tenant.id);
    return withDefaults(row);
  }

  async createApiKey(ref: string, name?: string): Promise<ApiKeyRow & { key: string }> {
    const tenant = await this.get(ref);
    const key = generateKey();
    const row = await insertApiKey(this.db, { tenantId: tenant.id, hash: hashKey(key), prefix: key.slice(0, 8), ...(name === undefined ? {} : { name }) });
    return { ...row, key };
  }

  async listApiKeys(ref: string): Promise<ApiKeyRow[]> {
    const tenant = await this.get(ref);
    return listApiKeys(this.db, tenant.id);
  }

  /** Revokes a tenant key; revoking twice is harmless. The admin key is managed by configuration. */
  async revokeApiKey(id: string): Promise<void> {
    if (!isUuid(id) || !(await revokeApiKey(this.db, id))) throw notFound('API key', id);
  }
}
