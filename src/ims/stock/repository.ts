/** Read-side SQL of stock: levels, the audit trail, reconciliation. Writes live in ledger.ts. */
import type { TenantScope } from '../../db/tenant-scope';

export interface LevelRow {
  sku_id: string;
  sku: string;
  on_hand: number;
  reserved: number;
  held: number;
}

/** SKUs of the tenant with their level at one hub; zeros where the SKU has no stock row. */
export function levelsAtHub(scope: TenantScope, hubId: string, filter: { skuIds?: string[]; after?: string; limit: number }) {
  return scope.query<LevelRow>(
    `SELECT k.id AS sku_id, k.code AS sku, COALESCE(s.on_hand, 0) AS on_hand, COALESCE(s.reserved, 0) AS reserved, COALESCE(s.held, 0) AS held
     FROM ims.skus k
     LEFT JOIN ims.stock_levels s ON s.tenant_id = k.tenant_id AND s.hub_id = $2 AND s.sku_id = k.id
     WHERE k.tenant_id = $1
       AND ($3::uuid[] IS NULL OR k.id = ANY($3::uuid[]))
       AND ($4::uuid IS NULL OR k.id > $4::uuid)
     ORDER BY k.id
     LIMIT $5`,
    [hubId, filter.skuIds ?? null, filter.after ?? null, filter.limit],
  );
}

export interface TransactionFilter {
  hubId?: string;
  skuId?: string;
  order_id?: string;
  from?: string;
  to?: string;
  before?: number;
  limit: number;
}

export interface TransactionRow {
  seq: number;
  id: string;
  hub: string;
  sku: string;
  delta_on_hand: number;
  delta_reserved: number;
  delta_held: number;
  on_hand_after: number;
  reserved_after: number;
  held_after: number;
  reason: string;
  order_id: string | null;
  operation_id: string | null;
  hold_id: string | null;
  created_at: Date;
}

/** Newest first. Codes of deleted hubs/SKUs fall back to their ids: the trail outlives them. */
export function listTransactions(scope: TenantScope, f: TransactionFilter) {
  return scope.query<TransactionRow>(
    `SELECT t.seq, t.id, COALESCE(h.code, t.hub_id::text) AS hub, COALESCE(k.code, t.sku_id::text) AS sku,
            t.delta_on_hand, t.delta_reserved, t.delta_held, t.on_hand_after, t.reserved_after, t.held_after, t.reason, t.order_id, t.operation_id, t.hold_id, t.created_at
     FROM ims.inventory_transactions t
     LEFT JOIN ims.hubs h ON h.tenant_id = t.tenant_id AND h.id = t.hub_id
     LEFT JOIN ims.skus k ON k.tenant_id = t.tenant_id AND k.id = t.sku_id
     WHERE t.tenant_id = $1
       AND ($2::uuid IS NULL OR t.hub_id = $2::uuid)
       AND ($3::uuid IS NULL OR t.sku_id = $3::uuid)
       AND ($4::text IS NULL OR t.order_id = $4::text)
       AND ($5::timestamptz IS NULL OR t.created_at >= $5::timestamptz)
       AND ($6::timestamptz IS NULL OR t.created_at < $6::timestamptz)
       AND ($7::int8 IS NULL OR t.seq < $7::int8)
     ORDER BY t.seq DESC
     LIMIT $8`,
    [f.hubId ?? null, f.skuId ?? null, f.order_id ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
  );
}

export interface Mismatch {
  hub: string;
  sku: string;
  on_hand: number;
  ledger_on_hand: number;
  reserved: number;
  ledger_reserved: number;
  held: number;
  ledger_held: number;
}

/** Every (hub, sku) whose level differs from the sum of its ledger rows. */
export function reconcile(scope: TenantScope) {
  return scope.query<Mismatch>(
    `WITH ledger AS (
       SELECT hub_id, sku_id, sum(delta_on_hand)::int8 AS on_hand, sum(delta_reserved)::int8 AS reserved, sum(delta_held)::int8 AS held
       FROM ims.inventory_transactions WHERE tenant_id = $1 GROUP BY hub_id, sku_id
     ), levels AS (
       SELECT hub_id, sku_id, on_hand, reserved, held FROM ims.stock_levels WHERE tenant_id = $1
     )
     SELECT COALESCE(h.code, x.hub_id::text) AS hub, COALESCE(k.code, x.sku_id::text) AS sku,
            x.on_hand, x.ledger_on_hand, x.reserved, x.ledger_reserved, x.held, x.ledger_held
     FROM (
       SELECT COALESCE(v.hub_id, l.hub_id) AS hub_id, COALESCE(v.sku_id, l.sku_id) AS sku_id,
              COALESCE(v.on_hand, 0) AS on_hand, COALESCE(l.on_hand, 0) AS ledger_on_hand,
              COALESCE(v.reserved, 0) AS reserved, COALESCE(l.reserved, 0) AS ledger_reserved,
              COALESCE(v.held, 0) AS held, COALESCE(l.held, 0) AS ledger_held
       FROM levels v FULL JOIN ledger l ON l.hub_id = v.hub_id AND l.sku_id = v.sku_id
     ) x
     LEFT JOIN ims.hubs h ON h.tenant_id = $1 AND h.id = x.hub_id
     LEFT JOIN ims.skus k ON k.tenant_id = $1 AND k.id = x.sku_id
     WHERE x.on_hand <> x.ledger_on_hand OR x.reserved <> x.ledger_reserved OR x.held <> x.ledger_held
     ORDER BY hub, sku`,
  );
}

/** Totals for the tenant's dashboard. */
export async function stockTotals(scope: TenantScope) {
  const rows = await scope.query<{ skus: number; units_on_hand: number; units_reserved: number; units_held: number }>(
    `SELECT (SELECT count(*) FROM ims.skus WHERE tenant_id = $1)::int8 AS skus,
            COALESCE(sum(on_hand), 0)::int8 AS units_on_hand, COALESCE(sum(reserved), 0)::int8 AS units_reserved,
            COALESCE(sum(held), 0)::int8 AS units_held
     FROM ims.stock_levels WHERE tenant_id = $1`,
  );
  return rows[0]!;
}
