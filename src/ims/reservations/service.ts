/**
 * Reservations hold stock for an order: all lines or none, idempotent per order id.
 *
 * Terminology
 * - reserve: move units from available to reserved for every line, or change nothing.
 * - release: give a reservation's units back (order cancelled). Idempotent.
 * - commit: the order shipped; the units leave on_hand and reserved together. Idempotent.
 *
 * Only a successful reservation is recorded. An insufficient outcome changes nothing, so the
 * same order can be reserved again once stock arrives (held back-orders rely on this); while
 * stock is unchanged, repeating it answers the same shortages.
 */
import type { Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { AppError, conflict, FieldErrors, notFound } from '../../shared/errors';
import type { Metrics } from '../../shared/metrics';
import type { CatalogLookup } from '../catalog/lookup';
import { applyStockChanges, lockStockRows, stockKey, type StockChange } from '../stock/ledger';
import { planLines, shortagesOf, type PlannedLine } from './lines';
import { claimReservation, closeReservation, findReservation, levelsOf, skuCodes, takeLine, type ReservationLine, type ReservationStatus } from './repository';

export interface ReserveInput {
  order_id: string;
  hub: string;
  items: { sku: string; quantity: number }[];
}

export interface Reservation {
  order_id: string;
  hub: string;
  status: ReservationStatus;
  items: { sku: string; quantity: number }[];
  created_at: Date;
  updated_at: Date;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

export type ReserveResult =
  { outcome: 'reserved' | 'replayed'; reservation: Reservation } | { outcome: 'insufficient'; order_id: string; shortages: Shortage[] };

/** Thrown inside the transaction to roll back the claim when stock is short. */
class ShortageRollback extends Error {
  constructor() {
    super('insufficient stock');
  }
}

export class ReservationService {
  constructor(
    private readonly db: Db,
    private readonly lookup: CatalogLookup,
    private readonly metrics: Metrics,
  ) {}

  async reserve(tenantId: string, input: ReserveInput): Promise<ReserveResult> {
    const errors = new FieldErrors();
    const hub = (await this.lookup.resolve(tenantId, 'hub', [input.hub])).get(input.hub);
    if (!hub) errors.unknown('hub', 'Hub', input.hub);
    const skus = await this.lookup.resolve(
      tenantId,
      'sku',
      input.items.map((i) => i.sku),
    );
    const lines = planLines(input.items, skus, errors, 'items');
    errors.throwIfAny();

    // Stock can come back between the rolled-back attempt and reading the levels to name the
    // shortages; then nothing is short any more and the reservation is simply tried again.
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(tenantId, input.order_id, hub!, lines);
      if (result.outcome !== 'insufficient' || result.shortages.length > 0 || attempt === 3) return result;
    }
  }

  private async attempt(tenantId: string, orderId: string, hub: { id: string; code: string }, lines: PlannedLine[]): Promise<ReserveResult> {
    const outcome = await this.db
      .transaction(async (tx) => {
        const scope = new TenantTx(tx, tenantId);
        const claimedAt = await claimReservation(scope, orderId, hub.id, lines);
        if (!claimedAt) return { kind: 'exists' as const };
        for (const line of lines) {
          if (!(await takeLine(scope, orderId, hub.id, line))) throw new ShortageRollback();
        }
        return { kind: 'reserved' as const, claimedAt };
      })
      .catch((error: unknown) => {
        if (error instanceof ShortageRollback) return { kind: 'insufficient' as const };
        throw error;
      });

    if (outcome.kind === 'reserved') {
      this.metrics.reservations.inc({ outcome: 'reserved' });
      const items = lines.map((l) => ({ sku: l.code, quantity: l.quantity }));
      const reservation: Reservation = {
        order_id: orderId,
        hub: hub.code,
        status: 'reserved',
        items,
        created_at: outcome.claimedAt,
        updated_at: outcome.claimedAt,
      };
      return { outcome: 'reserved', reservation };
    }
    if (outcome.kind === 'exists') {
      const existing = await this.get(tenantId, orderId);
      this.assertSameRequest(existing, hub.code, lines);
      this.metrics.reservations.inc({ outcome: 'replayed' });
      return { outcome: 'replayed', reservation: existing };
    }
    // Name every short line from the levels as they are now (the transaction stopped at the first).
    const levels = await levelsOf(
      new TenantScope(this.db, tenantId),
      hub.id,
      lines.map((l) => l.sku_id),
    );
    const bySku = new Map(levels.map((l) => [l.sku_id, l]));
    const shortages: Shortage[] = shortagesOf(lines, (skuId) => bySku.get(skuId));
    if (shortages.length > 0) this.metrics.reservations.inc({ outcome: 'insufficient' });
    return { outcome: 'insufficient', order_id: orderId, shortages };
  }

  async get(tenantId: string, orderId: string): Promise<Reservation> {
    const reservation = await this.find(tenantId, orderId);
    if (!reservation) throw notFound('Reservation', orderId);
    return reservation;
  }

  private async find(tenantId: string, orderId: string): Promise<Reservation | undefined> {
    const scope = new TenantScope(this.db, tenantId);
    const row = await findReservation(scope, orderId);
    if (!row) return undefined;
    const codes = await skuCodes(
      scope,
      row.lines.map((l) => l.sku_id),
    );
    return {
      order_id: row.order_id,
      hub: row.hub,
      status: row.status,
      items: row.lines.map((l) => ({ sku: codes.get(l.sku_id) ?? l.sku_id, quantity: l.quantity })),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /** Gives the units back. Releasing a released reservation changes nothing. */
  release(tenantId: string, orderId: string): Promise<Reservation> {
    return this.close(tenantId, orderId, 'released');
  }

  /** Ships the units: on_hand and reserved both drop. Committing twice changes nothing. */
  commit(tenantId: string, orderId: string): Promise<Reservation> {
    return this.close(tenantId, orderId, 'committed');
  }

  private async close(tenantId: string, orderId: string, target: 'released' | 'committed'): Promise<Reservation> {
    // A reservation committed by another transaction just after ours looked can appear as
    // 'reserved' when read back: close it too, instead of calling it closed.
    for (let attempt = 1; ; attempt++) {
      await this.closeOnce(tenantId, orderId, target);
      const reservation = await this.get(tenantId, orderId);
      if (reservation.status === target) return reservation;
      if (reservation.status !== 'reserved' || attempt === 3) {
        throw conflict('reservation.closed', { order_id: orderId, status: reservation.status });
      }
    }
  }

  private async closeOnce(tenantId: string, orderId: string, target: 'released' | 'committed'): Promise<void> {
    await this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const closed = await closeReservation(scope, orderId, target);
      if (!closed) return;
      const locked = await lockStockRows(
        scope,
        closed.lines.map((l) => ({ hub_id: closed.hub_id, sku_id: l.sku_id })),
      );
      const shipped = target === 'committed';
      const changes = closed.lines.map((line: ReservationLine): StockChange => {
        const row = locked.get(stockKey({ hub_id: closed.hub_id, sku_id: line.sku_id }));
        if (!row) throw new Error(`stock row of reserved SKU ${line.sku_id} is missing`);
        return {
          hub_id: closed.hub_id,
          sku_id: line.sku_id,
          delta_on_hand: shipped ? -line.quantity : 0,
          delta_reserved: -line.quantity,
          on_hand_after: shipped ? row.on_hand - line.quantity : row.on_hand,
          reserved_after: row.reserved - line.quantity,
          reason: shipped ? 'commit' : 'release',
          order_id: orderId,
        };
      });
      await applyStockChanges(scope, changes);
      tx.onCommit(() => this.metrics.reservations.inc({ outcome: target }));
    });
  }

  /** A repeat must be the same request; another hub or other lines under one order id is a conflict. */
  private assertSameRequest(existing: Reservation, hubCode: string, lines: { code: string; quantity: number }[]): void {
    const same =
      existing.hub === hubCode &&
      existing.items.length === lines.length &&
      lines.every((l) => existing.items.some((i) => i.sku === l.code && i.quantity === l.quantity));
    if (!same) throw new AppError(409, 'reservation.mismatch', { order_id: existing.order_id });
    if (existing.status !== 'reserved') {
      throw conflict('reservation.closed', { order_id: existing.order_id, status: existing.status });
    }
  }
}
