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
import { isOfType, type StockSettlement } from '../../contracts/events';
import type { InventoryClient } from '../../ports/inventory-client';

const STOCK_EVENTS = ['delivery.shipped', 'delivery.cancelled', 'return.received'] as const;
/**
 * Order updates and deletions release whatever IMS may still hold for the order: usually nothing,
 * but the finalizer may have reserved it a moment before (or crashed between its reservation and
 * the move). An update says so (`release_stock`, set by a user's cancel of a held order; the
 * finalizer's own cancels hold nothing); a deletion always may (only held or cancelled orders are
 * deleted).
 */
const RELEASING_EVENTS = ['order.updated', 'order.deleted'] as const;
/** What the finalizer group reads for this. */
export const SETTLING_EVENTS = [...STOCK_EVENTS, ...RELEASING_EVENTS] as const;

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
      if (isOfType(event, RELEASING_EVENTS)) {
        if (event.type === 'order.deleted' || ('release_stock' in event.data && event.data.release_stock)) {
          await this.inventory.release(event.tenant_id, event.data.order.id);
        }
      } else if (isOfType(event, STOCK_EVENTS) && event.data.stock) {
        await this.apply(event.tenant_id, event.data.order_id, event.data.stock);
      }
    }
  };
}
