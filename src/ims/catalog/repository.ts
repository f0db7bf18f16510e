/** SQL for the catalog tables. Every statement is tenant-scoped through TenantScope ($1). */
import type { TenantScope } from '../../db/tenant-scope';
import { isUuid } from '../../shared/cursor';
import { CATALOG, columnsOf, type CatalogCreate, type CatalogKind, type CatalogPatch, type CatalogRow } from './resources';

export interface CatalogListFilter {
  ids?: string[];
  codes?: string[];
  after?: string;
  limit: number;
}

export async function insertCatalogRow(scope: TenantScope, kind: CatalogKind, input: CatalogCreate): Promise<CatalogRow> {
  const { table } = CATALOG[kind];
  if (kind === 'sku') {
    const rows = await scope.query<CatalogRow>(
      `INSERT INTO ${table} (tenant_id, code, name, seller_id, category_id, attributes)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING ${columnsOf(kind)}`,
      [input.code, input.name, input.seller_id ?? null, input.category_id ?? null, input.attributes == null ? null : JSON.stringify(input.attributes)],
    );
    return rows[0] as CatalogRow;
  }
  if (kind === 'hub') {
    const rows = await scope.query<CatalogRow>(
      `INSERT INTO ${table} (tenant_id, code, name, priority) VALUES ($1, $2, $3, COALESCE($4, 100)) RETURNING ${columnsOf(kind)}`,
      [input.code, input.name, input.priority ?? null],
    );
    return rows[0] as CatalogRow;
  }
  const rows = await scope.query<CatalogRow>(`INSERT INTO ${table} (tenant_id, code, name) VALUES ($1, $2, $3) RETURNING ${columnsOf(kind)}`, [
    input.code,
    input.name,
  ]);
  return rows[0] as CatalogRow;
}

export async function listCatalogRows(scope: TenantScope, kind: CatalogKind, filter: CatalogListFilter): Promise<CatalogRow[]> {
  const ids = filter.ids?.filter(isUuid);
  return scope.query<CatalogRow>(
    `SELECT ${columnsOf(kind)} FROM ${CATALOG[kind].table}
     WHERE tenant_id = $1
       AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
       AND ($3::text[] IS NULL OR code = ANY($3::text[]))
       AND ($4::uuid IS NULL OR id > $4::uuid)
     ORDER BY id
     LIMIT $5`,
    [filter.ids ? ids : null, filter.codes ?? null, filter.after ?? null, filter.limit],
  );
}

/** Finds rows by code or id; a ref that is both some row's id and another's code resolves to the id. */
export async function findCatalogRows(scope: TenantScope, kind: CatalogKind, refs: readonly string[]): Promise<CatalogRow[]> {
  if (refs.length === 0) return [];
  const ids = refs.filter(isUuid);
  return scope.query<CatalogRow>(
    `SELECT ${columnsOf(kind)} FROM ${CATALOG[kind].table}
     WHERE tenant_id = $1 AND (id = ANY($2::uuid[]) OR code = ANY($3::text[]))`,
    [ids, refs],
  );
}

export async function getCatalogRow(scope: TenantScope, kind: CatalogKind, ref: string): Promise<CatalogRow | undefined> {
  const rows = await scope.query<CatalogRow>(
    `SELECT ${columnsOf(kind)} FROM ${CATALOG[kind].table}
     WHERE tenant_id = $1 AND (id = $2::uuid OR code = $3)
     ORDER BY (id = $2::uuid) IS TRUE DESC
     LIMIT 1`,
    [isUuid(ref) ? ref : null, ref],
  );
  return rows[0];
}

/** Locks one row for a change; the caller's transaction holds the lock until it ends. */
export async function lockCatalogRow(scope: TenantScope, kind: CatalogKind, id: string): Promise<CatalogRow | undefined> {
  const rows = await scope.query<CatalogRow>(`SELECT ${columnsOf(kind)} FROM ${CATALOG[kind].table} WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [id]);
  return rows[0];
}

export async function updateCatalogRow(scope: TenantScope, kind: CatalogKind, id: string, patch: CatalogPatch): Promise<CatalogRow> {
  // Column names come from this fixed list, never from the request.
  const settable =
    kind === 'sku'
      ? (['code', 'name', 'seller_id', 'category_id', 'attributes'] as const)
      : kind === 'hub'
        ? (['code', 'name', 'priority'] as const)
        : (['code', 'name'] as const);
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const column of settable) {
    const value = patch[column];
    if (value !== undefined) {
      const isJson = column === 'attributes';
      params.push(isJson && value !== null ? JSON.stringify(value) : value);
      sets.push(`${column} = $${params.length + 1}${isJson ? '::jsonb' : ''}`);
    }
  }
  sets.push('updated_at = now()');
  const rows = await scope.query<CatalogRow>(
    `UPDATE ${CATALOG[kind].table} SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${columnsOf(kind)}`,
    params,
  );
  return rows[0] as CatalogRow;
}

export async function deleteCatalogRow(scope: TenantScope, kind: CatalogKind, id: string): Promise<void> {
  await scope.query(`DELETE FROM ${CATALOG[kind].table} WHERE tenant_id = $1 AND id = $2`, [id]);
}

/**
 * For a hub or SKU about to be deleted: locks its stock rows and answers whether any still
 * holds stock or a reservation. Empty rows are deleted with it.
 */
export async function stockHeldBy(scope: TenantScope, kind: 'hub' | 'sku', id: string): Promise<{ on_hand: number; reserved: number; held: number }> {
  const column = kind === 'hub' ? 'hub_id' : 'sku_id';
  const rows = await scope.query<{ on_hand: number; reserved: number; held: number }>(
    `SELECT on_hand, reserved, held FROM ims.stock_levels WHERE tenant_id = $1 AND ${column} = $2 FOR UPDATE`,
    [id],
  );
  return rows.reduce((sum, r) => ({ on_hand: sum.on_hand + r.on_hand, reserved: sum.reserved + r.reserved, held: sum.held + r.held }), {
    on_hand: 0,
    reserved: 0,
    held: 0,
  });
}

export async function activeReservationsAtHub(scope: TenantScope, hubId: string): Promise<number> {
  const rows = await scope.query<{ n: number }>(
    `SELECT count(DISTINCT order_id)::int8 AS n FROM ims.reservation_lines
     WHERE tenant_id = $1 AND hub_id = $2 AND committed + released < quantity`,
    [hubId],
  );
  return rows[0]?.n ?? 0;
}

export async function deleteEmptyStockRows(scope: TenantScope, kind: 'hub' | 'sku', id: string): Promise<void> {
  const column = kind === 'hub' ? 'hub_id' : 'sku_id';
  await scope.query(`DELETE FROM ims.stock_levels WHERE tenant_id = $1 AND ${column} = $2 AND on_hand = 0 AND reserved = 0`, [id]);
}
