import type { Migration } from './migration';

/**
 * Why an order waits: the lines that stock could not cover when it was last tried
 * ([{sku, hub, requested, available}]), kept while it is on_hold for insufficient stock and
 * cleared when it moves on.
 */
export const orderShortages: Migration = {
  id: '20261130-0007-order-shortages',
  up: `ALTER TABLE oms.orders ADD COLUMN shortages jsonb;`,
  down: `ALTER TABLE oms.orders DROP COLUMN shortages;`,
};
