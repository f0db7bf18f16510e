/** Tenants and their API keys: the admin's side of the system. */
import { LRUCache } from 'lru-cache';
import { pgErrorOf, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';
import { generateKey, hashKey } from './api-keys';

export interface TenantSettings {
  backorder_policy: 'hold' | 'cancel';
  currency: string;
}

export const DEFAULT_SETTINGS: TenantSettings = { backorder_policy: 'hold', currency: 'USD' };

export interface TenantRow {
  id: string;
  code: string;
  name: string;
  settings: TenantSettings;
  created_at: Date;
  updated_at: Date;
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  key_prefix: string;
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const TENANT_COLUMNS = 'id, code, name, settings, created_at, updated_at';
const KEY_COLUMNS = 'id, tenant_id, key_prefix, name, created_at, revoked_at';

const withDefaults = (row: TenantRow): TenantRow => ({ ...row, settings: { ...DEFAULT_SETTINGS, ...row.settings } });

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
    try {
      const rows = await this.db.query<TenantRow>(
        `INSERT INTO ims.tenants (code, name, settings) VALUES ($1, $2, $3::jsonb) RETURNING ${TENANT_COLUMNS}`,
        [input.code, input.name, JSON.stringify({ ...DEFAULT_SETTINGS, ...input.settings })],
      );
      return withDefaults(rows[0] as TenantRow);
    } catch (error) {
      if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) throw conflict('resource.duplicate_code', { resource: 'Tenant', code: input.code });
      throw error;
    }
  }

  async list(query: { limit: number; cursor?: string; codes?: string[] }) {
    const rows = await this.db.query<TenantRow>(
      `SELECT ${TENANT_COLUMNS} FROM ims.tenants
       WHERE ($1::uuid IS NULL OR id > $1::uuid) AND ($2::text[] IS NULL OR code = ANY($2::text[]))
       ORDER BY id LIMIT $3`,
      [decodeCursor(query.cursor) ?? null, query.codes ?? null, query.limit + 1],
    );
    return toPage(rows.map(withDefaults), query.limit, (r) => r.id);
  }

  /** Finds a tenant by id or code (X-Tenant-Id accepts either). */
  async find(ref: string): Promise<TenantRow | undefined> {
    const rows = await this.db.query<TenantRow>(
      `SELECT ${TENANT_COLUMNS} FROM ims.tenants WHERE id = $1::uuid OR code = $2
       ORDER BY (id = $1::uuid) IS TRUE DESC LIMIT 1`,
      [isUuid(ref) ? ref : null, ref],
    );
    return rows[0] && withDefaults(rows[0]);
  }

  async get(ref: string): Promise<TenantRow> {
    const tenant = await this.find(ref);
    if (!tenant) throw notFound('Tenant', ref);
    return tenant;
  }

  async update(ref: string, patch: { code?: string; name?: string; settings?: Partial<TenantSettings> }): Promise<TenantRow> {
    const tenant = await this.get(ref);
    try {
      const rows = await this.db.query<TenantRow>(
        `UPDATE ims.tenants SET code = COALESCE($2, code), name = COALESCE($3, name),
                settings = settings || $4::jsonb, updated_at = now()
         WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
        [tenant.id, patch.code ?? null, patch.name ?? null, JSON.stringify(patch.settings ?? {})],
      );
      this.settingsCache.delete(tenant.id);
      return withDefaults(rows[0] as TenantRow);
    } catch (error) {
      if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) throw conflict('resource.duplicate_code', { resource: 'Tenant', code: patch.code ?? '' });
      throw error;
    }
  }

  async createApiKey(ref: string, name?: string): Promise<ApiKeyRow & { key: string }> {
    const tenant = await this.get(ref);
    const key = generateKey();
    const rows = await this.db.query<ApiKeyRow>(
      `INSERT INTO ims.api_keys (tenant_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
      [tenant.id, hashKey(key), key.slice(0, 8), name ?? null],
    );
    return { ...(rows[0] as ApiKeyRow), key };
  }

  async listApiKeys(ref: string): Promise<ApiKeyRow[]> {
    const tenant = await this.get(ref);
    return this.db.query<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM ims.api_keys WHERE tenant_id = $1 ORDER BY id`, [tenant.id]);
  }

  /** Revokes a tenant key; revoking twice is harmless. The admin key is managed by configuration. */
  async revokeApiKey(id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('API key', id);
    const rows = await this.db.query(
      `UPDATE ims.api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND tenant_id IS NOT NULL RETURNING id`,
      [id],
    );
    if (rows.length === 0) throw notFound('API key', id);
  }
}
