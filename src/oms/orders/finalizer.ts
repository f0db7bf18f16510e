/**
 * The order finalizer (role `finalizer`): turns created orders into reserved ones.
 *
 * - order.created → reserve its lines in IMS (all or none, idempotent per order id) →
 *   on_hold → new_order with order.updated, in one OMS transaction.
 * - Not enough stock → the tenant's backorder_policy: `hold` keeps the order on_hold with
 *   status_reason insufficient_stock and its shortages (each line short: SKU, hub, asked,
 *   available), and retries it, oldest first, when stock for one of its SKUs at its hub rises;
 *   `cancel` cancels it with status_reason insufficient_stock.
 *
 * Every step is idempotent, so a redelivered event (after a crash anywhere in between)
 * changes nothing twice: the reservation replays, and the order moves only from on_hold.
 */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import type { LoggedEvent } from '../../events/envelope';
import { isOfType } from '../../contracts/events';
import { AppError } from '../../shared/errors';
import type { InventoryClient } from '../../ports/inventory-client';
import type { Shortage } from '../../contracts/inventory';
import type { OrderShortage } from './model';
import { findOrderLines, findWaitingOrders, tenantsWithWaitingOrders, type HeldOrder } from './repository';
import { toReserveInput, type HeldOrderService } from './held-orders';
import { SETTLING_EVENTS } from '../fulfilment/settlements';

export const FINALIZER_GROUP = 'finalizer';
/** Waiting orders tried in one batch at most (a retry, or ahead of a batch of new ones). */
const WAITING_AHEAD = 500;
/** What the finalizer group consumes: creations to reserve, and the events that settle stock (fulfilment/settlements.ts). */
export const FINALIZER_EVENTS = ['order.created', ...SETTLING_EVENTS] as const;

/** IMS's shortages, named as the order names its lines (SKU code, hub code). */
const shortagesOf = (order: HeldOrder, shortages: readonly Shortage[]): OrderShortage[] =>
  shortages.map((s) => ({
    sku: order.items.find((i) => i.sku_id === s.sku || i.sku === s.sku)?.sku ?? s.sku,
    ...(s.hub ? { hub: s.hub } : {}),
    requested: s.requested,
    available: s.available,
  }));

/** IMS refused the request itself (a hub or SKU deleted since the order was taken), not the stock. */
const namesUnknownItem = (error: unknown) => error instanceof AppError && error.code === 'validation.failed';

export class OrderFinalizer {
  /** Per tenant, the SKUs whose stock rose (a stock-raised notice) since a batch last put their waiting orders first. */
  private readonly raised = new Map<string, Set<string> | 'all'>();

  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryClient,
    private readonly held: HeldOrderService,
  ) {}

  /**
   * The EventLog handler. A batch of order.created events becomes, per tenant, one batch
   * reservation in IMS (oldest first, each order all-or-nothing) and one OMS transaction moving
   * the reserved orders. Other event types are not its business.
   */
  handle = async (events: LoggedEvent[]): Promise<void> => {
    const byTenant = new Map<string, string[]>();
    for (const event of events) {
      if (!isOfType(event, ['order.created'])) continue;
      const id = event.data.order.id;
      byTenant.set(event.tenant_id, [...(byTenant.get(event.tenant_id) ?? []), id]);
    }
    for (const [tenantId, ids] of byTenant) await this.finalizeBatch(tenantId, ids);
  };

  private async finalizeBatch(tenantId: string, ids: string[]): Promise<void> {
    const stored = new Map((await this.storedMany(tenantId, ids)).map((o) => [o.id, o]));
    const held: HeldOrder[] = [];
    for (const id of ids) {
      const order = stored.get(id);
      if (order?.status === 'on_hold') held.push(order);
      // Cancelled before it was finalized: a reservation left by a crashed earlier attempt
      // must not outlive it (release is idempotent and a no-op when there is none).
      else if (order?.status === 'cancelled') await this.inventory.release(tenantId, id);
      // new_order or later: a redelivery, already done. Gone: deleted while on_hold.
    }
    if (held.length === 0) return;
    // First come, first served: orders already waiting for the same SKUs are older, and go
    // first in the same reservation, so stock that rose a moment ago cannot pass them by.
    // Only SKUs whose stock rose since their waiting orders were last tried: for the others they
    // would only fail again (a backlog of them made every batch slow).
    const raised = this.raised.get(tenantId);
    const skuIds = [...new Set(held.flatMap((o) => o.items.map((i) => i.sku_id)))].filter((sku) => raised === 'all' || raised?.has(sku));
    if (raised === 'all') this.raised.delete(tenantId);
    else for (const sku of skuIds) raised!.delete(sku);
    const waiting = skuIds.length === 0 ? [] : await findWaitingOrders(new TenantScope(this.db, tenantId), { skuIds, exceptIds: ids, limit: WAITING_AHEAD });
    await this.reserveInTurn(tenantId, [...waiting, ...held], new Set(held.map((o) => o.id)));
  }

  /**
   * Reserves `orders` in one batch, in the order given (each all or nothing), moves the reserved
   * ones, and records or cancels the short ones: a new order (in `fresh`) by the tenant's
   * backorder policy, an order already waiting with its shortages refreshed.
   */
  private async reserveInTurn(tenantId: string, orders: HeldOrder[], fresh: ReadonlySet<string>): Promise<number> {
    let results;
    try {
      results = await this.inventory.reserveMany(tenantId, orders.map(toReserveInput));
    } catch (error) {
      // One order naming a hub or SKU deleted since: settle the batch order by order.
      if (!namesUnknownItem(error)) throw error;
      let reserved = 0;
      for (const order of orders) if (await this.finalize(tenantId, order, fresh.has(order.id))) reserved++;
      return reserved;
    }

    const reserved = results.flatMap((r) => (r.outcome === 'insufficient' ? [] : [r.reservation]));
    const short = results.flatMap((r) => (r.outcome === 'insufficient' ? [r] : []));
    // Not durable: after a crash the event is delivered again and the move redone (IMS replays).
    const moved = await this.held.markReserved(tenantId, reserved, { durable: false });
    for (const { order_id } of reserved) if (!moved.has(order_id)) await this.settleUnmoved(tenantId, order_id);
    if (short.length === 0) return moved.size;
    const cancel = short.some((r) => fresh.has(r.order_id)) && (await this.inventory.tenantSettings(tenantId)).backorder_policy === 'cancel';
    const toCancel = cancel ? short.filter((r) => fresh.has(r.order_id)) : [];
    const toWait = cancel ? short.filter((r) => !fresh.has(r.order_id)) : short;
    if (toCancel.length > 0) {
      await this.held.cancel(
        tenantId,
        toCancel.map((r) => r.order_id),
        'insufficient_stock',
      );
    }
    if (toWait.length > 0) {
      const byId = new Map(orders.map((o) => [o.id, o]));
      await this.held.markWaiting(
        tenantId,
        toWait.map((r) => ({ id: r.order_id, shortages: shortagesOf(byId.get(r.order_id)!, r.shortages) })),
      );
    }
    return moved.size;
  }

  /**
   * Retries orders of a tenant waiting for stock at a hub that need one of `skuIds`, oldest
   * first, in one batch reservation (each order all or nothing: one that cannot be served yet
   * keeps waiting, and a younger one that can is served). Called when stock rises there, and by
   * the periodic sweep (with no filter) as a safety net. An on_hold order not yet waiting is
   * still on its way through the event log, which finalizes it in a batch, behind these.
   */
  async retryHeld(tenantId: string, hubId?: string, skuIds?: readonly string[]): Promise<number> {
    const held = await findWaitingOrders(new TenantScope(this.db, tenantId), { hubId, skuIds, limit: WAITING_AHEAD });
    if (held.length === 0) return 0;
    return this.reserveInTurn(tenantId, held, new Set());
  }

  /** A stock-raised notice: the next batch needing these SKUs serves their waiting orders first. Without SKUs: all of the tenant's. */
  stockRaised(tenantId: string, skuIds: readonly string[] | undefined): void {
    const set = this.raised.get(tenantId) ?? new Set<string>();
    if (set === 'all') return;
    if (!skuIds || set.size + skuIds.length > 10_000) return void this.raised.set(tenantId, 'all');
    for (const sku of skuIds) set.add(sku);
    this.raised.set(tenantId, set);
  }

  /** Every tenant's held orders (the sweep after a restart or a missed signal). */
  async sweep(): Promise<number> {
    let reserved = 0;
    for (const tenantId of await tenantsWithWaitingOrders(this.db)) reserved += await this.retryHeld(tenantId);
    return reserved;
  }

  /** Returns true when the order ends up reserved (new_order). */
  private async finalize(tenantId: string, order: HeldOrder, firstAttempt: boolean): Promise<boolean> {
    let result;
    try {
      result = await this.inventory.reserve(tenantId, toReserveInput(order));
    } catch (error) {
      // A hub or SKU deleted since the order was taken: it can never be reserved.
      if (namesUnknownItem(error)) {
        await this.held.cancel(tenantId, [order.id], 'unknown_item');
        return false;
      }
      throw error;
    }

    if (result.outcome === 'insufficient') {
      const { backorder_policy } = firstAttempt ? await this.inventory.tenantSettings(tenantId) : { backorder_policy: 'hold' };
      if (backorder_policy === 'cancel') {
        await this.held.cancel(tenantId, [order.id], 'insufficient_stock');
      } else {
        await this.held.markWaiting(tenantId, [{ id: order.id, shortages: shortagesOf(order, result.shortages) }]);
      }
      return false;
    }

    if ((await this.held.markReserved(tenantId, [result.reservation])).has(order.id)) return true;
    await this.settleUnmoved(tenantId, order.id);
    return false;
  }

  /**
   * Reserved, but the order was no longer on_hold. Already new_order: a redelivery, nothing to
   * do. Cancelled or deleted meanwhile: the stock belongs to no live order, give it back.
   */
  private async settleUnmoved(tenantId: string, id: string): Promise<void> {
    const [now] = await this.storedMany(tenantId, [id]);
    if (now?.status !== 'new_order') await this.inventory.release(tenantId, id);
  }

  private storedMany(tenantId: string, ids: readonly string[]) {
    return findOrderLines(new TenantScope(this.db, tenantId), ids);
  }
}
