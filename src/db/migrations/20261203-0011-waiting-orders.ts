import type { Migration } from './migration';

/**
 * The orders waiting for stock, oldest first, by tenant. The finalizer looks here before each
 * batch (older waiting orders are served before younger ones take the stock), so the look must
 * cost nothing while a big upload's orders are all on_hold on their way: only waiting orders are
 * in this index. Queries name the reason as a literal, or the planner cannot use it.
 */
export const waitingOrders: Migration = {
  id: '20261203-0011-waiting-orders',
  up: `CREATE INDEX orders_waiting_idx ON oms.orders (tenant_id, id) WHERE status = 'on_hold' AND status_reason = 'insufficient_stock';`,
  down: `DROP INDEX oms.orders_waiting_idx;`,
};
