/**
 * Deliveries and returns of reserved orders: shipping (whole or in part), delivering,
 * cancelling what has not shipped, and taking units back.
 *
 * Each change runs in one OMS transaction that first locks the order row, so that a shipment, a
 * cancellation and a return of one order never interleave (each unit is decided once); the
 * order's status is then derived from its deliveries and returns (status.ts), and the change's
 * events are written in the same transaction. Stock moves in IMS after the commit, idempotently
 * (settlements.ts).
 */
import { afterRequestCommit } from '../../db/request-transaction';
import type { Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { appendEvents, type NewEvent } from '../../events/outbox';
import { isUuid } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { OPEN_STATUSES, type OrderStatus } from '../orders/lifecycle';
import type { Delivery, OrderReturn, ReturnDisposition } from '../orders/model';
import { getOrder } from '../orders/repository';
import { planReturn, planShipment, type RequestedUnits } from './plans';
import {
  deliveriesOf,
  insertDeliveries,
  insertReturn,
  lockOrder,
  returnsOf,
  updateDeliveries,
  type DeliveryRow,
  type ReturnRow,
  type StoredLine,
} from './repository';
import type { Settlement, StockSettler } from './settlements';
import { statusFrom } from './status';
import { changeStatuses } from '../orders/status-changes';

/**
 * Deliveries and returns one order may have: each partial shipment adds a delivery and each
 * return a row, and an order is read whole with them (GET /orders/:id), so they are bounded.
 */
export const MAX_DELIVERIES_PER_ORDER = 100;
export const MAX_RETURNS_PER_ORDER = 100;

export interface ShipInput {
  tracking_number?: string;
  items?: RequestedUnits[];
}

export interface ReturnInput {
  reason?: string;
  items: (RequestedUnits & { disposition: ReturnDisposition })[];
}

interface OrderState {
  status: OrderStatus;
  deliveries: DeliveryRow[];
  returns: ReturnRow[];
}

interface Change<T> {
  result: T;
  events: NewEvent[];
  settlements: Settlement[];
  /** The order's status_reason when the change moves its status (kept when absent). */
  reason?: string | null;
}

export const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  order_id: row.order_id,
  hub: row.hub,
  status: row.status,
  items: row.items.map((l) => ({ sku: l.sku, quantity: l.quantity })),
  tracking_number: row.tracking_number,
  split_from: row.split_from,
  shipped_at: row.shipped_at,
  delivered_at: row.delivered_at,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const toReturn = (row: ReturnRow): OrderReturn => ({
  id: row.id,
  order_id: row.order_id,
  reason: row.reason,
  items: row.items.map((l) => ({ sku: l.sku, hub: l.hub, quantity: l.quantity, disposition: l.disposition })),
  created_at: row.created_at,
});

const settlementOf = (operationId: string, action: Settlement['action'], hubId: string, lines: readonly StoredLine[]): Settlement => ({
  operation_id: operationId,
  action,
  items: lines.map((l) => ({ hub_id: hubId, sku_id: l.sku_id, quantity: l.quantity })),
});

/** `rows` replace their namesakes in `list` (by id), or are added. */
function merge(list: DeliveryRow[], rows: readonly DeliveryRow[]): void {
  for (const row of rows) {
    const i = list.findIndex((d) => d.id === row.id);
    if (i >= 0) list[i] = row;
    else list.push(row);
  }
}

export class FulfilmentService {
  constructor(
    private readonly db: Db,
    private readonly settler: StockSettler,
  ) {}

  async deliveries(tenantId: string, orderId: string): Promise<Delivery[]> {
    const scope = new TenantScope(this.db, tenantId);
    await this.assertOrder(scope, orderId);
    return (await deliveriesOf(scope, orderId)).map(toDelivery);
  }

  async returns(tenantId: string, orderId: string): Promise<OrderReturn[]> {
    const scope = new TenantScope(this.db, tenantId);
    await this.assertOrder(scope, orderId);
    return (await returnsOf(scope, orderId)).map(toReturn);
  }

  /**
   * Ships a pending delivery, whole or in part (the shipped units split off into a delivery of
   * their own). Shipping a delivery that has shipped already changes nothing and answers it.
   */
  ship(tenantId: string, orderId: string, deliveryId: string, input: ShipInput): Promise<Delivery> {
    return this.change(tenantId, orderId, async (scope, state) => {
      const delivery = this.deliveryOf(state, deliveryId);
      if ((delivery.status === 'shipped' || delivery.status === 'delivered') && !input.items)
        return { result: toDelivery(delivery), events: [], settlements: [] };
      if (delivery.status !== 'pending') throw conflict('delivery.not_pending', { id: deliveryId, status: delivery.status, action: 'ship' });
      const plan = planShipment(delivery, input.items);
      if (!plan.whole && state.deliveries.length >= MAX_DELIVERIES_PER_ORDER) {
        throw conflict('order.too_many', { id: orderId, what: 'deliveries', limit: MAX_DELIVERIES_PER_ORDER });
      }
      const tracking = input.tracking_number ?? null;
      let shipped: DeliveryRow | undefined;
      if (plan.whole) {
        [shipped] = await updateDeliveries(scope, [{ id: delivery.id, status: 'shipped', tracking_number: tracking }]);
        merge(state.deliveries, [shipped!]);
      } else {
        const [rest] = await updateDeliveries(scope, [{ id: delivery.id, status: 'pending', items: plan.remaining }]);
        [shipped] = await insertDeliveries(scope, [
          {
            id: newId(),
            order_id: orderId,
            hub_id: delivery.hub_id,
            hub: delivery.hub,
            status: 'shipped',
            items: plan.shipped,
            split_from: delivery.id,
            tracking_number: tracking,
          },
        ]);
        merge(state.deliveries, [rest!, shipped!]);
      }
      const stock = settlementOf(shipped!.id, 'commit', shipped!.hub_id, shipped!.items);
      const event: NewEvent = { type: 'delivery.shipped', key: orderId, data: { order_id: orderId, delivery: toDelivery(shipped!), stock } };
      return { result: toDelivery(shipped!), events: [event], settlements: [stock] };
    });
  }

  /** Marks a shipped delivery delivered; a delivered one answers as it is. */
  deliver(tenantId: string, orderId: string, deliveryId: string): Promise<Delivery> {
    return this.change(tenantId, orderId, async (scope, state) => {
      const delivery = this.deliveryOf(state, deliveryId);
      if (delivery.status === 'delivered') return { result: toDelivery(delivery), events: [], settlements: [] };
      if (delivery.status !== 'shipped') throw conflict('delivery.not_shipped', { id: deliveryId, status: delivery.status });
      const [delivered] = await updateDeliveries(scope, [{ id: delivery.id, status: 'delivered' }]);
      merge(state.deliveries, [delivered!]);
      const event: NewEvent = { type: 'delivery.delivered', key: orderId, data: { order_id: orderId, delivery: toDelivery(delivered!) } };
      return { result: toDelivery(delivered!), events: [event], settlements: [] };
    });
  }

  /** Ships every pending delivery (PUT /orders/:id/status shipped). */
  shipAll(tenantId: string, orderId: string): Promise<void> {
    return this.everyDelivery(tenantId, orderId, 'pending', 'ship', (d) => this.ship(tenantId, orderId, d.id, {}));
  }

  /** Delivers every shipped delivery (PUT /orders/:id/status delivered). */
  deliverAll(tenantId: string, orderId: string): Promise<void> {
    return this.everyDelivery(tenantId, orderId, 'shipped', 'deliver', (d) => this.deliver(tenantId, orderId, d.id));
  }

  private async everyDelivery(tenantId: string, orderId: string, status: 'pending' | 'shipped', action: string, each: (d: Delivery) => Promise<unknown>) {
    const due = (await this.deliveries(tenantId, orderId)).filter((d) => d.status === status);
    if (due.length === 0) {
      const order = await getOrder(new TenantScope(this.db, tenantId), orderId);
      throw conflict('order.nothing_open', { id: orderId, status: order?.status ?? 'gone', action });
    }
    for (const delivery of due) await each(delivery);
  }

  /**
   * Cancels every pending delivery of a reserved order and gives exactly their units back. With
   * nothing shipped the order is cancelled; otherwise it keeps what shipped.
   */
  cancelOpen(tenantId: string, orderId: string, reason: string | null): Promise<void> {
    return this.change(tenantId, orderId, async (scope, state) => {
      const pending = state.deliveries.filter((d) => d.status === 'pending');
      if (!OPEN_STATUSES.includes(state.status) || pending.length === 0) {
        throw conflict('order.nothing_open', { id: orderId, status: state.status, action: 'cancel' });
      }
      const cancelled = await updateDeliveries(
        scope,
        pending.map((d) => ({ id: d.id, status: 'cancelled' as const })),
      );
      merge(state.deliveries, cancelled);
      const settlements = cancelled.map((d) => settlementOf(d.id, 'release', d.hub_id, d.items));
      const events = cancelled.map((d, i): NewEvent => ({
        type: 'delivery.cancelled',
        key: orderId,
        data: { order_id: orderId, delivery: toDelivery(d), stock: settlements[i] },
      }));
      return { result: undefined, events, settlements, reason };
    });
  }

  /** Takes delivered units back: `restock` ones return on hand at their hub, `damaged` ones are only recorded. */
  receiveReturn(tenantId: string, orderId: string, input: ReturnInput): Promise<OrderReturn> {
    return this.change(tenantId, orderId, async (scope, state) => {
      if (state.returns.length >= MAX_RETURNS_PER_ORDER) throw conflict('order.too_many', { id: orderId, what: 'returns', limit: MAX_RETURNS_PER_ORDER });
      const lines = planReturn(state.deliveries, state.returns, input.items);
      const row = await insertReturn(scope, { id: newId(), order_id: orderId, reason: input.reason ?? null, items: lines });
      state.returns.push(row);
      const restocked = lines.filter((l) => l.disposition === 'restock');
      const stock: Settlement | undefined =
        restocked.length === 0
          ? undefined
          : { operation_id: row.id, action: 'restock', items: restocked.map((l) => ({ hub_id: l.hub_id, sku_id: l.sku_id, quantity: l.quantity })) };
      const event: NewEvent = { type: 'return.received', key: orderId, data: { order_id: orderId, return: toReturn(row), ...(stock ? { stock } : {}) } };
      return { result: toReturn(row), events: [event], settlements: stock ? [stock] : [] };
    });
  }

  /**
   * One change to an order's deliveries or returns: locks the order, hands its state to `work`
   * (which updates it as it writes), then moves the order's status and writes the events, all in
   * one transaction; then settles the stock.
   */
  private async change<T>(tenantId: string, orderId: string, work: (scope: TenantTx, state: OrderState) => Promise<Change<T>>): Promise<T> {
    if (!isUuid(orderId)) throw notFound('Order', orderId);
    const outcome = await this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const status = await lockOrder(scope, orderId);
      if (!status) throw notFound('Order', orderId);
      const state: OrderState = { status, deliveries: await deliveriesOf(scope, orderId), returns: await returnsOf(scope, orderId) };
      const change = await work(scope, state);
      const next = state.deliveries.length === 0 ? status : statusFrom(state.deliveries, state.returns);
      // The change's own events, then the status's (the order row is locked: it is still `status`).
      if (next === status) await appendEvents(scope, change.events);
      else
        await changeStatuses(scope, {
          ids: [orderId],
          from: status,
          to: next,
          reason: next === 'cancelled' ? (change.reason ?? null) : undefined,
          after: change.events,
        });
      return change;
    });
    // Inside a request's own transaction (an Idempotency-Key), once that commits.
    await afterRequestCommit(() => this.settler.applyNow(tenantId, orderId, outcome.settlements));
    return outcome.result;
  }

  private deliveryOf(state: OrderState, deliveryId: string): DeliveryRow {
    const delivery = isUuid(deliveryId) ? state.deliveries.find((d) => d.id === deliveryId) : undefined;
    if (!delivery) throw notFound('Delivery', deliveryId);
    return delivery;
  }

  private async assertOrder(scope: TenantScope, orderId: string): Promise<void> {
    if (!isUuid(orderId) || !(await getOrder(scope, orderId))) throw notFound('Order', orderId);
  }
}
