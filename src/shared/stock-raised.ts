/**
 * The signal the IMS gives when available stock rose at a hub, and the OMS listens for (it
 * retries the orders waiting there). A contract between the two, so it lives with neither:
 * a NOTIFY channel, delivered after the changing transaction commits, whose payload is JSON
 * {tenant_id, hub_id, sku_ids?}; no sku_ids means "any SKU".
 */
export const STOCK_RAISED_CHANNEL = 'ims_stock_raised';

export interface StockRaised {
  tenant_id: string;
  hub_id: string;
  sku_ids?: string[];
}

/** A payload from the channel, or undefined when it is not one. */
export function parseStockRaised(payload: string): StockRaised | undefined {
  try {
    const value = JSON.parse(payload) as StockRaised;
    return typeof value.tenant_id === 'string' && typeof value.hub_id === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
