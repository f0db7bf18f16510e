/**
 * Reservations hold stock for an order: all lines or none, idempotent per order id. Making them
 * is batch.ts's job (single requests share a batch); this module reads them and settles them.
 *
 * Terminology
 * - reserve: move units from available to reserved for every line, or change nothing.
 * - release: give held units back (an order or a delivery cancelled).
 * - commit: units shipped; they leave on_hand and reserved together.
 * - settle: commit or release some of a reservation's units, or restock returned units, as one
 *   operation with its own id, which makes it idempotent (a shipment, a cancelled delivery, a
 *   return). Releasing or committing a whole reservation is idempotent by its status.
 *
 * Only a successful reservation is recorded. An insufficient outcome changes nothing, so the
 * same order can be reserved again once stock arrives (held back-orders rely on this).
 */
import type { Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { AppError, conflict, FieldErrors, notFound } from '../../shared/errors';
import type { Metrics } from '../../shared/metrics';
import type { CatalogLookup } from '../catalog/lookup';
import { applyStockChanges, ensureStockRows, lockStockRows, stockKey, type StockChange } from '../stock/ledger';
import type { AllocationReason } from './allocation';
import { asAsked, type PlannedLine } from './lines';
import { sameUnits } from '../../contracts/inventory';
import { appendEvents } from '../../events/outbox';
import type { Reservation, SettleAction, SettleInput } from '../../contracts/inventory';
import {
  claimOperation,
  closeIfSettled,
  closeReservation,
  codesOf,
  findReservation,
  lockReservation,
  OperationMismatch,
  settleLines,
  type LineUnits,
} from './repository';

export {
  MAX_RESERVATIONS_PER_BATCH,
  SETTLE_ACTIONS,
  type Reservation,
  type ReservationItem,
  type ReserveInput,
  type ReserveResult,
  type SettleAction,
  type SettleInput,
  type Shortage,
} from '../../contracts/inventory';

const LEDGER_REASON: Record<SettleAction, string> = { commit: 'commit', release: 'release', restock: 'return' };

export class ReservationService {
  constructor(
    private readonly db: Db,
    private readonly lookup: CatalogLookup,
    private readonly metrics: Metrics,
  ) {}

  async get(tenantId: string, orderId: string): Promise<Reservation> {
    const reservation = await this.find(tenantId, orderId);
    if (!reservation) throw notFound('Reservation', orderId);
    return reservation;
  }

  find(tenantId: string, orderId: string): Promise<Reservation | undefined> {
    return this.read(new TenantScope(this.db, tenantId), orderId);
  }

  /** The reservation as `scope` sees it (inside a transaction: as that transaction left it). */
  private async read(scope: TenantScope, orderId: string): Promise<Reservation | undefined> {
    const row = await findReservation(scope, orderId);
    if (!row) return undefined;
    const codes = await codesOf(
      scope,
      row.lines.map((l) => l.sku_id),
      row.lines.map((l) => l.hub_id),
    );
    const items = row.lines.map((l) => ({
      sku: codes.get(l.sku_id) ?? l.sku_id,
      sku_id: l.sku_id,
      hub: codes.get(l.hub_id) ?? l.hub_id,
      hub_id: l.hub_id,
      quantity: l.quantity,
      allocation: l.allocation as AllocationReason | null,
      committed: l.committed,
      released: l.released,
    }));
    const hubs = new Set(items.map((i) => i.hub));
    return {
      order_id: row.order_id,
      ...(hubs.size === 1 ? { hub: items[0]!.hub } : {}),
      status: row.status,
      items,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /** Gives every held unit back. Releasing a released reservation changes nothing. */
  release(tenantId: string, orderId: string): Promise<Reservation> {
    return this.close(tenantId, orderId, 'released');
  }

  /** Ships every held unit: on_hand and reserved both drop. Committing twice changes nothing. */
  commit(tenantId: string, orderId: string): Promise<Reservation> {
    return this.close(tenantId, orderId, 'committed');
  }

  private async close(tenantId: string, orderId: string, target: 'released' | 'committed'): Promise<Reservation> {
    // A reservation committed by another transaction just after ours looked (a batch's claim
    // not yet visible) reads back as 'reserved': close it too, instead of calling it closed.
    for (let attempt = 1; ; attempt++) {
      const reservation = (await this.closeOnce(tenantId, orderId, target)) ?? (await this.get(tenantId, orderId));
      if (reservation.status === target) return reservation;
      if (reservation.status !== 'reserved' || attempt === 3) {
        throw conflict('reservation.closed', { order_id: orderId, status: reservation.status });
      }
    }
  }

  /** Answers the reservation as it closed it when the release announced it (read in its transaction), else undefined. */
  private async closeOnce(tenantId: string, orderId: string, target: 'released' | 'committed'): Promise<Reservation | undefined> {
    return this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const settled = await closeReservation(scope, orderId, target);
      if (!settled) return undefined;
      await this.moveStock(scope, orderId, target === 'committed' ? 'commit' : 'release', settled, null);
      tx.onCommit(() => this.metrics.reservations.inc({ outcome: target }));
      return target === 'released' ? this.announceReleased(scope, orderId) : undefined;
    });
  }

  /**
   * One settlement of some units, idempotent by its operation id: a repeat answers the
   * reservation and changes nothing. Committing or releasing more units of a line than it still
   * holds is a 409 and changes nothing. Restocking puts returned units back on hand at the hub
   * (the reservation itself is not touched; the order may be long settled).
   */
  async settle(tenantId: string, orderId: string, input: SettleInput): Promise<Reservation | undefined> {
    const units = await this.resolveUnits(tenantId, input.items);
    try {
      await this.db.transaction(async (tx) => {
        const scope = new TenantTx(tx, tenantId);
        if (input.action !== 'restock') {
          const status = await lockReservation(scope, orderId);
          if (status === undefined) throw notFound('Reservation', orderId);
          if (!(await claimOperation(scope, { operation_id: input.operation_id, order_id: orderId, action: input.action }))) return;
          // Released whole (the order was cancelled while on_hold, racing its reservation): the
          // units of a delivery being cancelled are back already.
          if (status === 'released' && input.action === 'release') return;
          if (status !== 'reserved') throw conflict('reservation.closed', { order_id: orderId, status });
          if ((await settleLines(scope, orderId, input.action, units)) !== units.length) {
            throw new AppError(409, 'reservation.exceeds_held', { order_id: orderId });
          }
          if ((await closeIfSettled(scope, orderId)) === 'released') await this.announceReleased(scope, orderId);
        } else {
          if (!(await claimOperation(scope, { operation_id: input.operation_id, order_id: orderId, action: input.action }))) return;
          await ensureStockRows(scope, units);
        }
        await this.moveStock(scope, orderId, input.action, units, input.operation_id);
      });
    } catch (error) {
      if (error instanceof OperationMismatch) {
        throw new AppError(409, 'reservation.operation_mismatch', { operation_id: input.operation_id, order_id: error.orderId, action: error.action });
      }
      throw error;
    }
    return this.find(tenantId, orderId);
  }

  /** reservation.released, in the transaction that gave the last held unit back. */
  private async announceReleased(scope: TenantTx, orderId: string): Promise<Reservation> {
    const reservation = (await this.read(scope, orderId))!;
    await appendEvents(scope, [{ type: 'reservation.released', key: orderId, data: { order_id: orderId, reservation } }]);
    return reservation;
  }

  /** Hubs and SKUs by code or id, to ids: a 422 naming every unknown one. Lines of one (hub, sku) are summed. */
  private async resolveUnits(tenantId: string, items: SettleInput['items']): Promise<LineUnits[]> {
    const [hubs, skus] = await Promise.all([
      this.lookup.resolve(
        tenantId,
        'hub',
        items.map((i) => i.hub),
      ),
      this.lookup.resolve(
        tenantId,
        'sku',
        items.map((i) => i.sku),
      ),
    ]);
    const errors = new FieldErrors();
    const units = new Map<string, LineUnits>();
    items.forEach((item, i) => {
      const hub = hubs.get(item.hub);
      const sku = skus.get(item.sku);
      if (!hub) errors.unknown(`items[${i}].hub`, 'Hub', item.hub);
      if (!sku) errors.unknown(`items[${i}].sku`, 'SKU', item.sku);
      if (!hub || !sku) return;
      const key = stockKey({ hub_id: hub.id, sku_id: sku.id });
      const line = units.get(key) ?? { hub_id: hub.id, sku_id: sku.id, quantity: 0 };
      line.quantity += item.quantity;
      units.set(key, line);
    });
    errors.throwIfAny();
    return [...units.values()];
  }

  /** The stock side of a settlement: locks the rows (in key order) and writes levels and ledger rows. */
  private async moveStock(scope: TenantTx, orderId: string, action: SettleAction, units: readonly LineUnits[], operationId: string | null) {
    const locked = await lockStockRows(scope, units);
    const changes = units.map((u): StockChange => {
      const row = locked.get(stockKey(u));
      if (!row) throw new Error(`stock row of SKU ${u.sku_id} at hub ${u.hub_id} is missing`);
      const delta = {
        on_hand: action === 'release' ? 0 : action === 'commit' ? -u.quantity : u.quantity,
        reserved: action === 'restock' ? 0 : -u.quantity,
      };
      row.on_hand += delta.on_hand;
      row.reserved += delta.reserved;
      return {
        hub_id: u.hub_id,
        sku_id: u.sku_id,
        delta_on_hand: delta.on_hand,
        delta_reserved: delta.reserved,
        delta_held: 0,
        on_hand_after: row.on_hand,
        reserved_after: row.reserved,
        held_after: row.held,
        reason: LEDGER_REASON[action],
        order_id: orderId,
        operation_id: operationId,
      };
    });
    await applyStockChanges(scope, changes);
  }

  /**
   * A repeat must be the same request: per SKU the same units, and each line that named its hub
   * held there. Another request under one order id is a conflict, and so is a closed reservation.
   */
  assertSameRequest(existing: Reservation, lines: readonly PlannedLine[]): void {
    const same = sameUnits(existing.items, lines.map(asAsked));
    if (!same) throw new AppError(409, 'reservation.mismatch', { order_id: existing.order_id });
    if (existing.status !== 'reserved') {
      throw conflict('reservation.closed', { order_id: existing.order_id, status: existing.status });
    }
  }
}
