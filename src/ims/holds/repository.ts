/** SQL of holds. Their stock moves go through ../stock/ledger.ts like every other change. */
import type { Queryable } from '../../db/handle';
import type { TenantScope, TenantTx } from '../../db/tenant-scope';
import { appendEvents } from '../../events/outbox';
import type { AlongsideWrites } from '../stock/ledger';
import type { Hold, HoldLine, HoldStatus } from '../../contracts/inventory';
import type { HeldUnits } from './difference';

/** A hold's row (locked, when changing it) with its lines (ids and codes). */
export interface LockedHold {
  id: string;
  reference: string | null;
  status: HoldStatus;
  /** Past its expires_at by the database's clock (the expiry loop may not have run yet). */
  due: boolean;
  expires_at: Date;
  order_id: string | null;
  created_at: Date;
  updated_at: Date;
  lines: (HeldUnits & { hub: string; sku: string })[];
}

const HOLD_COLUMNS_READ = 'id, reference, status, expires_at <= now() AS due, expires_at, order_id, created_at, updated_at';

/**
 * Holds with their lines (ids and codes), in id order; locked when `lock` (in id order: two
 * transactions locking the same holds queue, never deadlock). Every change of a hold starts by
 * locking it, before any stock row: holds first, then stock, in every path.
 */
async function holdsWithLines(scope: TenantScope, ids: readonly string[], lock: boolean): Promise<Map<string, LockedHold>> {
  if (ids.length === 0) return new Map();
  const holds = await scope.query<Omit<LockedHold, 'lines'>>(
    `SELECT ${HOLD_COLUMNS_READ} FROM ims.holds WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id${lock ? ' FOR UPDATE' : ''}`,
    [ids],
  );
  const byId = new Map(holds.map((h): [string, LockedHold] => [h.id, { ...h, lines: [] }]));
  if (holds.length === 0) return byId;
  const lines = await scope.query<HeldUnits & { hold_id: string; hub: string; sku: string }>(
    // Codes by scalar subqueries: one key look-up each, whatever the planner thinks of the tables'
    // sizes. A released hold outlives an emptied hub or SKU deleted since: its id stands for its code.
    `SELECT l.hold_id, l.hub_id, l.sku_id, l.quantity::float8 AS quantity, l.allocation,
            COALESCE((SELECT hb.code FROM ims.hubs hb WHERE hb.tenant_id = $1 AND hb.id = l.hub_id), l.hub_id::text) AS hub,
            COALESCE((SELECT k.code FROM ims.skus k WHERE k.tenant_id = $1 AND k.id = l.sku_id), l.sku_id::text) AS sku
     FROM unnest($2::uuid[]) AS wanted(id)
     JOIN ims.hold_lines l ON l.tenant_id = $1 AND l.hold_id = wanted.id
     ORDER BY l.hold_id, l.hub_id, l.sku_id`,
    [[...byId.keys()]],
  );
  for (const { hold_id, ...line } of lines) byId.get(hold_id)!.lines.push(line);
  return byId;
}

export const lockHolds = (scope: TenantScope, ids: readonly string[]) => holdsWithLines(scope, ids, true);

export async function readHolds(scope: TenantScope, ids: readonly string[]): Promise<Hold[]> {
  return [...(await holdsWithLines(scope, ids, false)).values()].map((h) => toHold(h));
}

/** Newest first, by id; optionally of one status. */
export async function listHolds(scope: TenantScope, filter: { status?: HoldStatus; before?: string; limit: number }): Promise<Hold[]> {
  const page = await scope.query<{ id: string }>(
    `SELECT id FROM ims.holds
     WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3::uuid)
     ORDER BY id DESC LIMIT $4`,
    [filter.status ?? null, filter.before ?? null, filter.limit],
  );
  return (
    await readHolds(
      scope,
      page.map((r) => r.id),
    )
  ).reverse();
}

/** A locked hold as the API and its events show it, after a change made at `now`. */
export function toHold(hold: LockedHold, change: { status?: HoldStatus; order_id?: string; now?: Date } = {}): Hold {
  return {
    id: hold.id,
    reference: hold.reference,
    status: change.status ?? hold.status,
    expires_at: hold.expires_at,
    order_id: change.order_id ?? hold.order_id,
    lines: hold.lines.map((l) => ({
      sku: l.sku,
      sku_id: l.sku_id,
      hub: l.hub,
      hub_id: l.hub_id,
      quantity: l.quantity,
      allocation: l.allocation as HoldLine['allocation'],
    })),
    created_at: hold.created_at,
    updated_at: change.now ?? hold.updated_at,
  };
}

/**
 * Due holds of every tenant (active, past expires_at), oldest expiry first, locked; holds another
 * process has locked are skipped, so two expiry loops never take the same hold. Not tenant-scoped:
 * the loop serves every tenant.
 */
export function lockDueHolds(db: Queryable, limit: number): Promise<{ tenant_id: string; id: string }[]> {
  return db.query(
    `SELECT tenant_id, id FROM ims.holds WHERE status = 'active' AND expires_at <= now()
     ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
}

const LINE_COLUMNS = [
  ['hub_id', 'uuid'],
  ['sku_id', 'uuid'],
  ['quantity', 'int8'],
  ['allocation', 'text'],
] as const;

export interface NewHold {
  id: string;
  reference: string | null;
  expires_at: Date;
  created_at: Date;
  lines: readonly HeldUnits[];
}

const HOLD_COLUMNS = [
  ['id', 'uuid'],
  ['reference', 'text'],
  ['expires_at', 'timestamptz'],
  ['created_at', 'timestamptz'],
] as const;

/** New holds and their lines, to ride with their stock changes. */
export function insertHolds(holds: readonly NewHold[]): AlongsideWrites {
  const lines = holds.flatMap((h) => h.lines.map((l) => ({ ...l, hold_id: h.id })));
  return (params) => `new_holds AS (
       INSERT INTO ims.holds (tenant_id, id, reference, status, expires_at, created_at, updated_at)
       SELECT $1, h.id, h.reference, 'active', h.expires_at, h.created_at, h.created_at
       FROM ${params.unnest(holds, HOLD_COLUMNS)} AS h(id, reference, expires_at, created_at)
     ), new_lines AS (
       INSERT INTO ims.hold_lines (tenant_id, hold_id, hub_id, sku_id, quantity, allocation)
       SELECT $1, l.hold_id, l.hub_id, l.sku_id, l.quantity, l.allocation
       FROM ${params.unnest(lines, [['hold_id', 'uuid'], ...LINE_COLUMNS])} AS l(hold_id, hub_id, sku_id, quantity, allocation)
     )`;
}

/** A hold's lines replaced (the stock difference rides in the same statement): rows kept are updated in place, the others dropped. */
export function replaceHoldLines(holdId: string, lines: readonly HeldUnits[]): AlongsideWrites {
  return (params) => {
    const id = params.add(holdId, 'uuid');
    const hubs = params.add(
      lines.map((l) => l.hub_id),
      'uuid[]',
    );
    const skus = params.add(
      lines.map((l) => l.sku_id),
      'uuid[]',
    );
    return `old_lines AS (
       DELETE FROM ims.hold_lines WHERE tenant_id = $1 AND hold_id = ${id}
         AND (hub_id, sku_id) NOT IN (SELECT * FROM unnest(${hubs}, ${skus}))
     ), new_lines AS (
       INSERT INTO ims.hold_lines (tenant_id, hold_id, hub_id, sku_id, quantity, allocation)
       SELECT $1, ${id}, l.hub_id, l.sku_id, l.quantity, l.allocation
       FROM ${params.unnest(lines, LINE_COLUMNS)} AS l(hub_id, sku_id, quantity, allocation)
       ON CONFLICT (tenant_id, hold_id, hub_id, sku_id) DO UPDATE SET quantity = EXCLUDED.quantity, allocation = EXCLUDED.allocation
     ), touched AS (
       UPDATE ims.holds SET updated_at = now() WHERE tenant_id = $1 AND id = ${id}
     )`;
  };
}

/** Holds leaving `active` at `now`: converted (each to its order), released or expired. */
export function closeHolds(status: Exclude<HoldStatus, 'active'>, holds: readonly { id: string; order_id?: string }[], now: Date): AlongsideWrites {
  return (params) => `closed_holds AS (
       UPDATE ims.holds h SET status = ${params.add(status, 'text')}, order_id = c.order_id, updated_at = ${params.add(now, 'timestamptz')}
       FROM unnest(${params.add(
         holds.map((x) => x.id),
         'uuid[]',
       )}, ${params.add(
         holds.map((x) => x.order_id ?? null),
         'text[]',
       )}) AS c(id, order_id)
       WHERE h.tenant_id = $1 AND h.id = c.id
     )`;
}

export async function setExpiry(scope: TenantScope, id: string, expiresAt: Date): Promise<void> {
  await scope.query('UPDATE ims.holds SET expires_at = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [id, expiresAt]);
}

/** The holds' event (`type`), each carrying the hold as it is after the change, in the caller's transaction. */
export async function appendHoldEvents(
  scope: TenantTx,
  type: `hold.${'created' | 'released' | 'expired' | 'converted'}`,
  holds: readonly Hold[],
): Promise<void> {
  await appendEvents(
    scope,
    holds.map((hold) => ({ type, key: hold.id, data: { hold } })),
  );
}

/** Milliseconds until the next active hold of any tenant is due (≤ 0: one is); undefined when none is active. */
export async function nextDueInMs(db: Queryable): Promise<number | undefined> {
  const rows = await db.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM min(expires_at) - now()) * 1000)::float8 AS ms FROM ims.holds WHERE status = 'active'`,
  );
  return rows[0]?.ms ?? undefined;
}
