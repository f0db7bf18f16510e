/** SQL of tenants and their API keys (admin-only: not tenant-scoped). */
import type { Queryable } from '../../db/handle';
import { isUuid } from '../../shared/cursor';

/**
 * How lines without a hub are placed when their order is reserved:
 * - single_hub_first: the first hub by priority that can ship every such line; when none can,
 *   each line from the hubs in priority order (a line may be split);
 * - priority: each line from the hubs in priority order, straight away;
 * - single_hub_only: one hub for all of them, or the order waits (never split).
 */
export { ALLOCATION_POLICIES, type AllocationPolicy, type TenantSettings } from '../../contracts/inventory';
import type { TenantSettings } from '../../contracts/inventory';

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

/** A unique violation means the code is taken. */
export async function insertTenant(db: Queryable, input: { code: string; name: string; settings: TenantSettings }): Promise<TenantRow> {
  const rows = await db.query<TenantRow>(`INSERT INTO ims.tenants (code, name, settings) VALUES ($1, $2, $3::jsonb) RETURNING ${TENANT_COLUMNS}`, [
    input.code,
    input.name,
    JSON.stringify(input.settings),
  ]);
  return rows[0]!;
}

export function listTenants(db: Queryable, query: { after?: string; codes?: string[]; limit: number }): Promise<TenantRow[]> {
  return db.query<TenantRow>(
    `SELECT ${TENANT_COLUMNS} FROM ims.tenants
     WHERE ($1::uuid IS NULL OR id > $1::uuid) AND ($2::text[] IS NULL OR code = ANY($2::text[]))
     ORDER BY id LIMIT $3`,
    [query.after ?? null, query.codes ?? null, query.limit],
  );
}

/** By id or code; an id wins over a code that looks like one. */
export async function findTenant(db: Queryable, ref: string): Promise<TenantRow | undefined> {
  const rows = await db.query<TenantRow>(
    `SELECT ${TENANT_COLUMNS} FROM ims.tenants WHERE id = $1::uuid OR code = $2
     ORDER BY (id = $1::uuid) IS TRUE DESC LIMIT 1`,
    [isUuid(ref) ? ref : null, ref],
  );
  return rows[0];
}

/** Settings are merged into the stored ones. A unique violation means the new code is taken. */
export async function updateTenant(db: Queryable, id: string, patch: { code?: string; name?: string; settings?: Partial<TenantSettings> }): Promise<TenantRow> {
  const rows = await db.query<TenantRow>(
    `UPDATE ims.tenants SET code = COALESCE($2, code), name = COALESCE($3, name),
            settings = settings || $4::jsonb, updated_at = now()
     WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
    [id, patch.code ?? null, patch.name ?? null, JSON.stringify(patch.settings ?? {})],
  );
  return rows[0]!;
}

export async function insertApiKey(db: Queryable, key: { tenantId: string; hash: string; prefix: string; name?: string }): Promise<ApiKeyRow> {
  const rows = await db.query<ApiKeyRow>(`INSERT INTO ims.api_keys (tenant_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`, [
    key.tenantId,
    key.hash,
    key.prefix,
    key.name ?? null,
  ]);
  return rows[0]!;
}

export function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow>(`SELECT ${KEY_COLUMNS} FROM ims.api_keys WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
}

/** Answers false when no tenant key has that id (the admin key is not in the table's reach). */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('UPDATE ims.api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND tenant_id IS NOT NULL RETURNING id', [id]);
  return rows.length > 0;
}
