import type { Migration } from './migration';

/**
 * An order's history reads its events by (tenant, key). The inventory's level changes are keyed
 * by stock row and come one per reservation: they need no entry here (one index insert fewer per
 * stock change). Queries name the type as a literal, or the planner cannot use the index.
 */
export const orderEventsIndex: Migration = {
  id: '20261203-0012-order-events-index',
  up: `
    CREATE INDEX events_order_key_idx ON oms.events (tenant_id, key, seq) WHERE type <> 'inventory.level_changed';
    DROP INDEX oms.events_order_idx;
  `,
  down: `
    CREATE INDEX events_order_idx ON oms.events (tenant_id, key, seq);
    DROP INDEX oms.events_order_key_idx;
  `,
};
