/**
 * Holds: stock set aside for a cart or a checkout until it expires (active → converted |
 * released | expired). Held units are not available to anyone else while the hold is active
 * (stock_levels.held; available = on_hand − reserved − held), and are back at once when it ends.
 *
 * Every change locks the hold first, then its stock rows (in (hub, sku) order), so two changes
 * of one hold queue on its row and never deadlock with the expiry loop. A change is one
 * transaction: the hold, its lines, the levels, a ledger row per moved line, and its event.
 * Conversion into an order's reservation is the batch reserver's (reservations/batch.ts).
 */
import type { Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { AppError, conflict, FieldErrors, invalid, notFound } from '../../shared/errors';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { newId } from '../../shared/ids';
import type { CatalogLookup } from '../catalog/lookup';
import { applyStockChanges, lockStockRows, mergeByStockRow, stockKey, uniqueKeys, type LockedLevel, type StockChange, type StockKey } from '../stock/ledger';
import { allocateOrder, Availability } from '../reservations/allocation';
import { lockToAllocate } from '../reservations/batch-repository';
import { planLines, type PlannedLine } from '../reservations/lines';
import type { AllocationPolicy, TenantSettings } from '../tenants/repository';
import { GroupCommit } from '../../shared/group-commit';
import type { Hold, HoldStatus, RequestedItem, Shortage } from '../../contracts/inventory';
import {
  appendHoldEvents,
  closeHolds,
  insertHolds,
  listHolds,
  lockDueHolds,
  lockHolds,
  readHolds,
  replaceHoldLines,
  setExpiry,
  toHold,
  type LockedHold,
  type NewHold,
} from './repository';
import { holdDifference, keptUnits, type HeldUnits } from './difference';

export interface HoldInput {
  reference?: string;
  items: RequestedItem[];
  expires_in_seconds?: number;
}

/** 409 when stock cannot cover every line: each short line with what was asked and what is available. */
const insufficient = (shortages: Shortage[]) => new AppError(409, 'hold.insufficient_stock', {}, { extensions: { shortages } });

/** Holds the expiry loop gives back in one transaction at most. */
export const EXPIRY_BATCH = 1000;

/** A hold asked for, planned and waiting for its group's transaction. */
interface AskedHold {
  hold: { id: string; reference: string | null; created_at: Date; expires_at: Date };
  lines: PlannedLine[];
  policy: AllocationPolicy;
}

export class HoldService {
  private readonly group: GroupCommit<AskedHold, Hold | AppError>;

  constructor(
    private readonly db: Db,
    private readonly lookup: CatalogLookup,
    private readonly settingsOf: (tenantId: string) => Promise<TenantSettings>,
    /** Holds of one tenant waiting for their batch at most (429 beyond). */
    maxWaiting = 500,
  ) {
    // Two batches in flight, as single reservations (reservations/batch.ts says why).
    this.group = new GroupCommit((tenantId, asked) => this.createMany(tenantId, asked), { maxBatch: 500, maxInFlight: 2, maxWaiting });
  }

  /**
   * Holds every line or nothing, allocated across hubs by the tenant's policy like an order.
   * Holds of one tenant asked for at the same moment are taken in one transaction (a group
   * commit, as single reservations are), each all or nothing, in the order they came; a short
   * one fails alone.
   */
  async create(tenantId: string, input: HoldInput): Promise<Hold> {
    const [lines, settings] = await Promise.all([this.plan(tenantId, input.items), this.settingsOf(tenantId)]);
    const now = new Date();
    const hold = { id: newId(), reference: input.reference ?? null, created_at: now, expires_at: expiryFrom(now, input.expires_in_seconds, settings) };
    const outcome = await this.group.submit(tenantId, { hold, lines, policy: settings.allocation });
    if (outcome instanceof AppError) throw outcome;
    return outcome;
  }

  /** One transaction for holds asked for together: the union of their rows locked once, each allocated in turn. */
  private async createMany(tenantId: string, asked: readonly AskedHold[]): Promise<(Hold | AppError)[]> {
    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const { levels, hubs } = await lockToAllocate(
        scope,
        asked.flatMap((a) => a.lines),
      );
      const changes: StockChange[] = [];
      const created: (NewHold & { answer: Hold })[] = [];
      const outcomes = asked.map(({ hold, lines: wanted, policy }): Hold | AppError => {
        const allocated = allocateOrder(wanted, levels, hubs, policy, 'held');
        if (!allocated.ok) return insufficient(allocated.shortages);
        // allocateOrder has added this hold's units to the levels: the rows as they are after it (and before the next hold's).
        for (const line of allocated.lines) changes.push(heldChange(line, levels, line.quantity, 'hold', hold.id));
        const answer: Hold = {
          ...hold,
          status: 'active',
          order_id: null,
          lines: allocated.lines.map((l) => ({ sku: l.code, sku_id: l.sku_id, hub: l.hub, hub_id: l.hub_id, quantity: l.quantity, allocation: l.allocation })),
          updated_at: hold.created_at,
        };
        created.push({ ...hold, lines: allocated.lines, answer });
        return answer;
      });
      if (created.length > 0) {
        await applyStockChanges(scope, changes, insertHolds(created));
        await appendHoldEvents(
          scope,
          'hold.created',
          created.map((c) => c.answer),
        );
      }
      return outcomes;
    });
  }

  async get(tenantId: string, id: string): Promise<Hold> {
    const [hold] = isUuid(id) ? await readHolds(new TenantScope(this.db, tenantId), [id]) : [];
    if (!hold) throw notFound('Hold', id);
    return hold;
  }

  async list(tenantId: string, query: { status?: HoldStatus; limit: number; cursor?: string }) {
    const rows = await listHolds(new TenantScope(this.db, tenantId), { status: query.status, before: decodeCursor(query.cursor), limit: query.limit + 1 });
    return toPage(rows, query.limit, (h) => h.id);
  }

  /**
   * Replaces the hold's lines. Only the difference moves: per (hub, sku), units added are taken
   * and units dropped go back; units the hold keeps never leave it, so no one can take them in
   * between. The hold's own units count as free to it when the new lines are placed, and its
   * hubs are tried first. All or nothing: a shortage changes nothing.
   */
  async replaceItems(tenantId: string, id: string, items: RequestedItem[]): Promise<Hold> {
    const [lines, settings] = await Promise.all([this.plan(tenantId, items), this.settingsOf(tenantId)]);
    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const hold = await this.lockActive(scope, id);
      const { kept, extra, keptFor } = keptUnits(hold.lines, lines);
      // Units no new line keeps go back first: the extra may take them (at another hub's line, say).
      const freed = holdDifference(hold.lines, kept);
      const allocated = await this.allocate(scope, extra, settings, hold.lines, freed);
      if (!allocated.ok) throw insufficient(asWholeLines(allocated.shortages, keptFor, lines));
      const after = mergeByStockRow<HeldUnits>([
        ...kept,
        ...allocated.lines.map(({ hub_id, sku_id, quantity, allocation }) => ({ hub_id, sku_id, quantity, allocation })),
      ]);
      const changes = holdDifference(hold.lines, after).map((d) => heldChange(d, allocated.levels, d.delta, 'hold_changed', hold.id));
      await applyStockChanges(scope, changes, replaceHoldLines(hold.id, after));
      return (await readHolds(scope, [hold.id]))[0]!;
    });
  }

  /** A new expiry, counted from now (at most the tenant's maximum). */
  async extend(tenantId: string, id: string, seconds: number): Promise<Hold> {
    const settings = await this.settingsOf(tenantId);
    const expiresAt = expiryFrom(new Date(), seconds, settings);
    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const hold = await this.lockActive(scope, id);
      await setExpiry(scope, hold.id, expiresAt);
      return (await readHolds(scope, [hold.id]))[0]!;
    });
  }

  /** Gives the units back. Releasing a hold that no longer holds anything (released, expired) changes nothing; a converted one is a 409. */
  async release(tenantId: string, id: string): Promise<Hold> {
    if (!isUuid(id)) throw notFound('Hold', id);
    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const hold = (await lockHolds(scope, [id])).get(id);
      if (!hold) throw notFound('Hold', id);
      if (hold.status === 'released' || hold.status === 'expired') return (await readHolds(scope, [id]))[0]!;
      if (hold.status === 'converted') throw conflict('hold.not_active', { id, status: hold.status });
      return (await this.giveBack(scope, [hold], 'released'))[0]!;
    });
  }

  /**
   * One turn of the expiry loop: gives back up to `limit` due holds of any tenants, each exactly
   * once (locked, skipping those another process has locked, and moved from `active` in the
   * transaction that gives the units back). Answers how many expired.
   */
  async expireDue(limit = EXPIRY_BATCH): Promise<number> {
    return this.db.transaction(async (tx) => {
      const due = await lockDueHolds(tx, limit);
      const byTenant = new Map<string, string[]>();
      for (const { tenant_id, id } of due) {
        const ids = byTenant.get(tenant_id);
        if (ids) ids.push(id);
        else byTenant.set(tenant_id, [id]);
      }
      // Tenants in one order: two loops touching the same tenants lock their stock rows alike.
      for (const tenantId of [...byTenant.keys()].sort()) {
        const scope = new TenantTx(tx, tenantId);
        const ids = byTenant.get(tenantId)!;
        await this.giveBack(scope, [...(await lockHolds(scope, ids)).values()], 'expired');
      }
      return due.length;
    });
  }

  /** Active holds' units back to available, with a ledger row each, the holds closed as `status`, and their events; answers them. */
  private async giveBack(scope: TenantTx, holds: readonly LockedHold[], status: 'released' | 'expired'): Promise<Hold[]> {
    const lines = holds.flatMap((h) => h.lines.map((l) => ({ ...l, hold_id: h.id })));
    const levels = await lockStockRows(scope, uniqueKeys(lines));
    const reason = status === 'released' ? 'hold_released' : 'hold_expired';
    const changes = lines.map((l) => {
      levels.get(stockKey(l))!.held -= l.quantity;
      return heldChange(l, levels, -l.quantity, reason, l.hold_id);
    });
    const now = new Date();
    await applyStockChanges(
      scope,
      changes,
      closeHolds(
        status,
        holds.map((h) => ({ id: h.id })),
        now,
      ),
    );
    const closed = holds.map((h) => toHold(h, { status, now }));
    await appendHoldEvents(scope, status === 'released' ? 'hold.released' : 'hold.expired', closed);
    return closed;
  }

  /** The hold, locked, if it can still change: active and not past its expiry. */
  private async lockActive(scope: TenantTx, id: string): Promise<LockedHold> {
    const hold = isUuid(id) ? (await lockHolds(scope, [id])).get(id) : undefined;
    if (!hold) throw notFound('Hold', id);
    if (hold.status !== 'active') throw conflict('hold.not_active', { id, status: hold.status });
    if (hold.due) throw conflict('hold.expired', { id, expires_at: hold.expires_at.toISOString() });
    return hold;
  }

  /**
   * Locks what the lines may take from, and the rows a hold's units are at (`own`), and places
   * the lines. `freed`: units the hold gives back first (negative deltas), free to the lines. The
   * hubs the hold already uses are tried first: what it adds goes where it is.
   */
  private async allocate(
    scope: TenantTx,
    lines: readonly PlannedLine[],
    settings: TenantSettings,
    own: readonly StockKey[] = [],
    freed: readonly (StockKey & { delta: number })[] = [],
  ) {
    const { levels, hubs } = await lockToAllocate(scope, lines, own);
    for (const row of freed) levels.get(stockKey(row))!.held += row.delta;
    const ownHubs = new Set(own.map((k) => k.hub_id));
    const ordered = [...hubs.filter((h) => ownHubs.has(h.id)), ...hubs.filter((h) => !ownHubs.has(h.id))];
    // More of a SKU the hold has goes where its units are, when it fits there beside what the
    // lines naming that hub take.
    const free = new Availability(levels);
    for (const line of lines) if (line.hub) free.take(line.hub.id, line.sku_id, line.quantity);
    const placed = lines.map((line) => {
      if (line.hub) return line;
      const at = ordered.find((h) => own.some((k) => k.hub_id === h.id && k.sku_id === line.sku_id) && free.free(h.id, line.sku_id) >= line.quantity);
      if (!at) return line;
      free.take(at.id, line.sku_id, line.quantity);
      return { ...line, hub: { id: at.id, code: at.code } };
    });
    const allocation = lines.length === 0 ? ({ ok: true, lines: [] } as const) : allocateOrder(placed, levels, ordered, settings.allocation, 'held');
    return { ...allocation, levels };
  }

  /** Items to lines: unknown SKUs and hubs are a 422 naming each. */
  private async plan(tenantId: string, items: readonly RequestedItem[]): Promise<PlannedLine[]> {
    const [skus, hubs] = await Promise.all([
      this.lookup.resolve(
        tenantId,
        'sku',
        items.map((i) => i.sku),
      ),
      this.lookup.resolve(
        tenantId,
        'hub',
        items.flatMap((i) => (i.hub === undefined ? [] : [i.hub])),
      ),
    ]);
    const errors = new FieldErrors();
    const lines = planLines(items, { skus, hubs }, undefined, errors, 'items');
    errors.throwIfAny();
    return lines;
  }
}

/** When a hold asked to last `seconds` (else the tenant's default) from `now` expires; beyond the tenant's maximum is a 422. */
function expiryFrom(now: Date, seconds: number | undefined, settings: TenantSettings): Date {
  const lasting = seconds ?? settings.hold_expiry_seconds;
  if (lasting > settings.hold_expiry_max_seconds) {
    throw invalid([{ field: 'expires_in_seconds', code: 'field.maximum', params: { limit: settings.hold_expiry_max_seconds }, value: String(lasting) }]);
  }
  return new Date(now.getTime() + lasting * 1000);
}

/** Shortages of the extra units, told as the whole lines asked: the units the hold keeps for a line count in what it asked and in what is available to it. */
function asWholeLines(shortages: readonly Shortage[], keptFor: ReadonlyMap<PlannedLine, number>, lines: readonly PlannedLine[]): Shortage[] {
  return shortages.map((s) => {
    const line = lines.find((l) => l.code === s.sku && l.hub?.code === s.hub);
    const units = line ? (keptFor.get(line) ?? 0) : 0;
    return { ...s, requested: s.requested + units, available: s.available + units };
  });
}

/**
 * The ledger row of `delta` units entering (or, negative, leaving) held at a locked row. The
 * row's figures are already the level after it (allocation counts what it places into held).
 */
function heldChange(
  at: { hub_id: string; sku_id: string },
  levels: ReadonlyMap<string, LockedLevel>,
  delta: number,
  reason: string,
  holdId: string,
): StockChange {
  const row = levels.get(stockKey(at));
  if (!row) throw new Error(`stock row of SKU ${at.sku_id} at hub ${at.hub_id} is missing`);
  return {
    hub_id: at.hub_id,
    sku_id: at.sku_id,
    delta_on_hand: 0,
    delta_reserved: 0,
    delta_held: delta,
    on_hand_after: row.on_hand,
    reserved_after: row.reserved,
    held_after: row.held,
    reason,
    order_id: null,
    hold_id: holdId,
  };
}
