/**
 * The stock side of shipments, cancelled deliveries and returns, and of orders cancelled while on
 * hold. The order's own transaction records the change and its event, which carries the
 * settlement (`data.stock`; for a held order, its order.updated to cancelled says it all); IMS is
 * then told twice, both idempotent (by the operation id; a release by the reservation's status):
 *   - at once, after the commit, so that the levels move before the request is answered;
 *   - by the finalizer's consumer group, from the event — which is what makes it happen even if
 *     the process dies between the commit and the call.
 */
import type { Logger } from 'pino';
import type { LoggedEvent } from '../../events/envelope';
import { isOfType, type EventDataMap, type StockSettlement } from '../../contracts/events';
import type { InventoryClient } from '../../ports/inventory-client';

const STOCK_EVENTS = ['delivery.shipped', 'delivery.cancelled', 'return.received'] as const;
/** What the finalizer group reads for this: the events that carry `data.stock`, and order updates. */
export const SETTLING_EVENTS = [...STOCK_EVENTS, 'order.updated'] as const;

/**
 * An order cancelled while on hold: whatever IMS holds for it goes back. Usually nothing; but the
 * finalizer may have reserved it just before (a crash between its reservation and the move).
 */
const heldOrderCancelled = (data: EventDataMap['order.updated']) => data.previous_status === 'on_hold' && data.order.status === 'cancelled';

/** Units to settle in IMS as one operation; hubs and SKUs by id (carried by the event as `data.stock`). */
export type Settlement = StockSettlement;

export class StockSettler {
  constructor(
    private readonly inventory: InventoryClient,
    private readonly logger?: Logger,
  ) {}

  async apply(tenantId: string, orderId: string, settlement: Settlement): Promise<void> {
    await this.inventory.settle(tenantId, orderId, {
      operation_id: settlement.operation_id,
      action: settlement.action,
      items: settlement.items.map((i) => ({ hub: i.hub_id, sku: i.sku_id, quantity: i.quantity })),
    });
  }

  /** Right after the commit; a failure is left to the consumer, which retries from the event. */
  async applyNow(tenantId: string, orderId: string, settlements: readonly Settlement[]): Promise<void> {
    for (const settlement of settlements) {
      await this.apply(tenantId, orderId, settlement).catch((error: unknown) =>
        this.logger?.warn({ err: error, order_id: orderId, operation_id: settlement.operation_id }, 'stock settlement deferred to the finalizer group'),
      );
    }
  }

  /** A held order's reservation, if any, released right after the commit that cancelled it; a failure is left to the consumer. */
  async releaseNow(tenantId: string, orderId: string): Promise<void> {
    await this.inventory
      .release(tenantId, orderId)
      .catch((error: unknown) => this.logger?.warn({ err: error, order_id: orderId }, 'release deferred to the finalizer group'));
  }

  /** Part of the finalizer group's handler. */
  handle = async (events: LoggedEvent[]): Promise<void> => {
    for (const event of events) {
      if (isOfType(event, ['order.updated'])) {
        if (heldOrderCancelled(event.data)) await this.inventory.release(event.tenant_id, event.data.order.id);
      } else if (isOfType(event, STOCK_EVENTS) && event.data.stock) {
        await this.apply(event.tenant_id, event.data.order_id, event.data.stock);
      }
    }
  };
}
