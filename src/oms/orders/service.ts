/**
 * Orders, as the API asks for them: creation (validated through the InventoryClient, stored
 * on_hold with its order.created event in one transaction), reads, user transitions and
 * deletion. What the finalizer does to held orders is held-orders.ts; every status change goes
 * through status-changes.ts.
 *
 * A use case commits once: the order's change and its event in one transaction. The stock side
 * (a release when a held order is cancelled, shipments and returns in fulfilment/) follows from
 * the event (fulfilment/settlements.ts): told to IMS at once after the commit, and by the
 * finalizer group from the event, so that a crash in between loses nothing.
 */
import { pgErrorOf, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { appendEvents } from '../../events/outbox';
import { decodeCursor, encodeCursor, isUuid } from '../../shared/cursor';

/** What an order's other fields (ids, customer, amounts, dates) weigh as JSON, about. */
const ORDER_FIELDS_BYTES = 700;
import { conflict, FieldErrors, invalid, notFound, unknownReference } from '../../shared/errors';
import { sameUnits } from '../../contracts/inventory';
import { toReserveInput, type HeldOrderService } from './held-orders';
import { GroupCommit } from '../../shared/group-commit';
import type { HeldOrder } from './repository';
import type { InventoryClient } from '../../ports/inventory-client';
import { formatCents, toCents } from '../money';
import { prepareOrder } from './new-order';
import { allowedFor, DELETABLE, ORDER_STATUSES, type OrderStatus } from './lifecycle';
import type { FulfilmentService } from '../fulfilment/service';
import type { StockSettler } from '../fulfilment/settlements';
import { afterRequestCommit } from '../../db/request-transaction';
import { deliveriesOf } from '../fulfilment/repository';
import { toDelivery } from '../fulfilment/service';
import { toOrder, type Order, type OrderItem, type OrderRow } from './model';
import { OrderWriter } from './order-writer';
import { changeStatuses } from './status-changes';
import type { IdempotencyClaim } from '../../db/idempotency-keys';
import { countByHour, countByStatus, deleteOrder, getOrder, getOrders, listOrderSizes, orderHistory, orderOfHold, type OrderFilter } from './repository';

export interface OrderInput {
  reference?: string;
  customer_id?: string;
  customer?: { name: string; email: string };
  /** The default hub of the lines; absent: lines without their own hub are allocated when the order is finalized. */
  hub?: string;
  seller?: string;
  items: { sku: string; quantity: number; unit_price?: number | string; name?: string; hub?: string }[];
  shipping_address?: string | object;
  order_date?: string;
  currency?: string;
  /** An active hold of exactly these units: they become the order's reservation. */
  hold_id?: string;
}

export class OrderService {
  private readonly writer: OrderWriter;
  /** Conversions of orders placed from holds, grouped per tenant. */
  private readonly fromHolds: GroupCommit<HeldOrder, void>;

  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryClient,
    private readonly fulfilment: FulfilmentService,
    private readonly settler: StockSettler,
    private readonly held: HeldOrderService,
    /** A page of orders weighs at most about this much as JSON (it always holds one order). */
    private readonly pageBytes = 2 * 1024 * 1024,
  ) {
    this.writer = new OrderWriter(db);
    this.fromHolds = new GroupCommit((tenantId, orders) => this.reserveFromHolds(tenantId, orders), { maxBatch: 500, maxInFlight: 2, maxWaiting: 10_000 });
  }

  /** `exactlyOnce`: the Idempotency-Key the order answers; its answer is stored with the order, in one commit. */
  async create(tenantId: string, input: OrderInput, exactlyOnce?: IdempotencyClaim): Promise<Order> {
    const { hub, seller, items, totalCents, currency } = await this.resolve(tenantId, input);
    if (input.hold_id !== undefined) await this.assertHoldServes(tenantId, input.hold_id, items, hub?.id);
    const { insert: item, order } = prepareOrder(tenantId, {
      reference: input.reference,
      hub,
      seller,
      items,
      totalCents,
      currency,
      shipping_address: input.shipping_address,
      order_date: input.order_date === undefined ? undefined : new Date(input.order_date),
      source: 'api',
      ...(input.hold_id !== undefined ? { hold_id: input.hold_id } : {}),
      customer: input.customer_id !== undefined ? { id: input.customer_id } : input.customer!,
    });
    const reference = item.order.reference;
    const toWrite = { ...item, ...(exactlyOnce ? { exactlyOnce: { claim: exactlyOnce, answer: order } } : {}) };
    try {
      let outcome = await this.writer.write(tenantId, toWrite);
      // Without a customer by e-mail: a concurrent statement created it unseen; a new one sees it.
      if (!outcome.customer && input.customer_id === undefined) outcome = await this.writer.write(tenantId, toWrite);
      if (!outcome.customer) throw unknownReference('customer_id', 'Customer', input.customer_id ?? input.customer?.email ?? '');
      if (!outcome.inserted) throw await this.notInserted(tenantId, reference, input.hold_id);
      if (item.order.hold_id) {
        await afterRequestCommit(() => this.reserveFromHold(tenantId, { ...item.order, tenant_id: tenantId }));
        if (!exactlyOnce) return await this.get(tenantId, order.id);
      }
      return { ...order, customer: outcome.customer };
    } catch (error) {
      if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) throw await this.notInserted(tenantId, reference, input.hold_id);
      throw error;
    }
  }

  /** Why an order was not stored: its hold was taken by another order, or its reference was. */
  private async notInserted(tenantId: string, reference: string, holdId: string | undefined) {
    const taker = holdId === undefined ? undefined : await orderOfHold(new TenantScope(this.db, tenantId), holdId);
    return taker ? conflict('hold.taken', { id: holdId! }, { order_id: taker }) : conflict('order.duplicate_reference', { reference });
  }

  /**
   * An order placed from a hold must ask for the units it holds, while it still holds them: else
   * a 422 (no such hold, other units) or a 409 (used by an order, released, expired).
   */
  private async assertHoldServes(tenantId: string, holdId: string, items: readonly OrderItem[], defaultHub: string | undefined): Promise<void> {
    const hold = await this.inventory.hold(tenantId, holdId);
    if (!hold) throw unknownReference('hold_id', 'Hold', holdId);
    if (hold.status === 'converted') throw conflict('hold.taken', { id: holdId }, { order_id: hold.order_id });
    if (hold.status !== 'active') throw conflict('hold.not_active', { id: holdId, status: hold.status });
    if (hold.expires_at.getTime() <= Date.now()) throw conflict('hold.expired', { id: holdId, expires_at: hold.expires_at.toISOString() });
    const asked = items.map((i) => ({ sku_id: i.sku_id, quantity: i.quantity, ...((i.hub_id ?? defaultHub) ? { hub_id: i.hub_id ?? defaultHub } : {}) }));
    if (!sameUnits(hold.lines, asked)) throw invalid([{ field: 'hold_id', code: 'hold.mismatch', params: { id: holdId }, value: holdId }]);
  }

  /**
   * The hold's units become the order's reservation now, and the order new_order, so that the
   * answer shows it reserved. Not durable on its own: if this fails or the process dies, the
   * finalizer does the same from order.created (the reservation replays by order id).
   */
  private async reserveFromHold(tenantId: string, order: HeldOrder): Promise<void> {
    await this.fromHolds.submit(tenantId, order).catch(() => undefined); // left to the finalizer (above)
  }

  /**
   * Orders from holds placed at the same moment, converted together: one batch reservation, one
   * move to new_order. The hold only: if it cannot be used after all (it expired or changed since
   * the check), the order takes its turn in the finalizer's queue, behind older orders waiting.
   */
  private async reserveFromHolds(tenantId: string, orders: readonly HeldOrder[]): Promise<void[]> {
    const results = await this.inventory.reserveMany(
      tenantId,
      orders.map((o) => ({ ...toReserveInput(o), hold_only: true })),
    );
    await this.held.markReserved(
      tenantId,
      results.flatMap((r) => (r.outcome === 'insufficient' ? [] : [r.reservation])),
    );
    return orders.map(() => undefined);
  }

  /** The order's hub, seller and lines resolved through the inventory, its total and currency; or a 422 naming every bad field. */
  private async resolve(tenantId: string, input: OrderInput) {
    const errors = new FieldErrors();
    if ((input.customer_id === undefined) === (input.customer === undefined)) {
      errors.add('customer_id', 'field.one_of', { fields: 'customer_id, customer' });
    }
    const hubRefs = [...(input.hub === undefined ? [] : [input.hub]), ...input.items.flatMap((i) => (i.hub === undefined ? [] : [i.hub]))];
    const [hubs, skus, sellers, settings] = await Promise.all([
      this.inventory.resolve(tenantId, 'hub', hubRefs),
      this.inventory.resolve(
        tenantId,
        'sku',
        input.items.map((i) => i.sku),
      ),
      this.inventory.resolve(tenantId, 'seller', input.seller === undefined ? [] : [input.seller]),
      this.inventory.tenantSettings(tenantId),
    ]);
    const hub = input.hub === undefined ? undefined : hubs.get(input.hub);
    if (input.hub !== undefined && !hub) errors.unknown('hub', 'Hub', input.hub);
    const seller = input.seller === undefined ? undefined : sellers.get(input.seller);
    if (input.seller !== undefined && !seller) errors.unknown('seller', 'Seller', input.seller);

    let totalCents = 0n;
    const items: OrderItem[] = [];
    input.items.forEach((item, i) => {
      const sku = skus.get(item.sku);
      if (!sku) errors.unknown(`items[${i}].sku`, 'SKU', item.sku);
      const lineHub = item.hub === undefined ? undefined : hubs.get(item.hub);
      if (item.hub !== undefined && !lineHub) errors.unknown(`items[${i}].hub`, 'Hub', item.hub);
      const cents = item.unit_price === undefined ? 0n : toCents(item.unit_price);
      if (cents === undefined) errors.add(`items[${i}].unit_price`, 'field.money');
      if (!sku || cents === undefined || (item.hub !== undefined && !lineHub)) return;
      totalCents += cents * BigInt(item.quantity);
      items.push({
        sku: sku.code,
        sku_id: sku.id,
        ...(item.name !== undefined ? { name: item.name } : sku.name ? { name: sku.name } : {}),
        quantity: item.quantity,
        unit_price: formatCents(cents),
        ...(lineHub ? { hub: lineHub.code, hub_id: lineHub.id } : {}),
      });
    });
    errors.throwIfAny();
    return { hub, seller, items, totalCents, currency: input.currency ?? settings.currency };
  }

  /** The order with its deliveries. */
  async get(tenantId: string, id: string): Promise<Order> {
    const order = toOrder(await this.row(tenantId, id));
    // The order was just read: its deliveries straight from the repository, not through the
    // service's list, which would read the order again to check that it exists.
    return { ...order, deliveries: (await deliveriesOf(new TenantScope(this.db, tenantId), order.id)).map(toDelivery) };
  }

  /**
   * A page of orders, newest first: `limit` of them, or fewer when they are big. The page is cut
   * at `pageBytes` of JSON, judged from each order's stored size before any big row is read, so
   * a page of huge orders costs no more memory than a page of small ones.
   */
  async list(tenantId: string, query: Omit<OrderFilter, 'before'> & { cursor?: string }) {
    const scope = new TenantScope(this.db, tenantId);
    const sizes = await listOrderSizes(scope, { ...query, before: decodeCursor(query.cursor), limit: query.limit + 1 });
    let taken = 0;
    let bytes = 0;
    for (const { json_bytes } of sizes.slice(0, query.limit)) {
      bytes += json_bytes + ORDER_FIELDS_BYTES;
      if (taken > 0 && bytes > this.pageBytes) break;
      taken++;
    }
    const ids = sizes.slice(0, taken).map((s) => s.id);
    const rows = ids.length === 0 ? [] : await getOrders(scope, ids);
    return { data: rows.map(toOrder), next_cursor: taken < sizes.length ? encodeCursor(ids[taken - 1]!) : null };
  }

  /** Orders by status and by hour, and the stock totals (the dashboard adds the uploads). */
  async stats(tenantId: string) {
    const [byStatus, byHour, stock] = await Promise.all([
      countByStatus(new TenantScope(this.db, tenantId)),
      countByHour(new TenantScope(this.db, tenantId), 24),
      this.inventory.stats(tenantId),
    ]);
    const orders_by_status = Object.fromEntries(ORDER_STATUSES.map((status) => [status, byStatus[status] ?? 0]));
    // Every one of the last 24 hours, the empty ones too: a chart needs them all.
    const counted = new Map(byHour.map((h) => [new Date(h.hour).getTime(), Number(h.n)]));
    const thisHour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const orders_by_hour = Array.from({ length: 24 }, (_, i) => {
      const hour = thisHour - (23 - i) * 3_600_000;
      return { hour: new Date(hour), orders: counted.get(hour) ?? 0 };
    });
    return { orders_by_status, orders_by_hour, ...stock };
  }

  /** The order's status changes, from its events (created, each update, deleted). */
  async history(tenantId: string, id: string) {
    const order = await this.row(tenantId, id);
    return { data: await orderHistory(new TenantScope(this.db, tenantId), order.id) };
  }

  /**
   * A user-requested transition (cancel, ship, deliver). Refused ones answer 409 naming the
   * allowed targets. On a reserved order they act on its deliveries (fulfilment/service.ts):
   * shipped ships every pending delivery, delivered delivers every shipped one, cancelled
   * cancels what has not shipped and gives exactly those units back.
   */
  async transition(tenantId: string, id: string, to: OrderStatus, reason: string | null): Promise<Order> {
    let current = allowedTo(await this.row(tenantId, id), to);
    if (current.status === 'on_hold') {
      const [cancelled] = await this.db.transaction((tx) =>
        changeStatuses(new TenantTx(tx, tenantId), { ids: [current.id], from: 'on_hold', to: 'cancelled', reason, detail: () => ({ release_stock: true }) }),
      );
      if (cancelled) {
        await afterRequestCommit(() => this.settler.releaseNow(tenantId, cancelled.id));
        return this.get(tenantId, cancelled.id);
      }
      // No longer on hold: reserved meanwhile (then cancelled below, as any reserved order), or cancelled.
      current = allowedTo(await this.row(tenantId, id), to);
    }
    if (to === 'cancelled') await this.fulfilment.cancelOpen(tenantId, current.id, reason);
    else if (to === 'shipped') await this.fulfilment.shipAll(tenantId, current.id);
    else await this.fulfilment.deliverAll(tenantId, current.id);
    return this.get(tenantId, current.id);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    const current = await this.row(tenantId, id);
    const deleted = await this.db.transaction(async (tx) => {
      const scope = new TenantTx(tx, tenantId);
      const row = await deleteOrder(scope, current.id, DELETABLE);
      if (row) await appendEvents(scope, [{ type: 'order.deleted', key: row.id, data: { order: toOrder(row) } }]);
      return row;
    });
    if (!deleted) {
      const now = await this.row(tenantId, id);
      throw conflict('order.not_deletable', { id, status: now.status });
    }
  }

  private async row(tenantId: string, id: string): Promise<OrderRow> {
    const row = isUuid(id) ? await getOrder(new TenantScope(this.db, tenantId), id) : undefined;
    if (!row) throw notFound('Order', id);
    return row;
  }
}

/** The order, if its status allows moving `to`; else 409 naming the targets it allows. */
function allowedTo(order: OrderRow, to: OrderStatus): OrderRow {
  const allowed = allowedFor(order.status);
  if (!allowed.includes(to)) {
    throw conflict('order.transition_refused', { id: order.id, from: order.status, to, allowed: allowed.join(', ') || 'none' }, { allowed });
  }
  return order;
}
