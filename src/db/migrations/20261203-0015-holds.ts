import type { Migration } from './migration';

/**
 * Holds (issue 28): stock set aside for a cart or a checkout until it expires, is released, or
 * becomes an order's reservation.
 *
 * - `stock_levels.held` counts units under active holds; available = on_hand − reserved − held,
 *   and the CHECK keeps on_hand ≥ reserved + held whatever a statement does.
 * - The ledger records held units too (`delta_held`, `held_after`), so levels still equal the
 *   sums of the ledger. The defaults keep every older row true: nothing was held before. A
 *   hold's rows name it (`hold_id`).
 * - `ims.holds`: one per hold, `active` until it is converted (its `order_id`), released or
 *   expired. The expiry loop finds the due ones by the partial index on expires_at.
 * - `ims.hold_lines`: units of a SKU held at a hub, one row per (hub, sku), in lock order.
 * - `oms.orders.hold_id`: the hold an order was placed from; one order per hold.
 */
export const holds: Migration = {
  id: '20261203-0015-holds',
  up: `
    ALTER TABLE ims.stock_levels ADD COLUMN held bigint NOT NULL DEFAULT 0;
    ALTER TABLE ims.stock_levels
      DROP CONSTRAINT stock_levels_within_on_hand,
      ADD CONSTRAINT stock_levels_held_nonnegative CHECK (held >= 0),
      ADD CONSTRAINT stock_levels_within_on_hand CHECK (on_hand >= reserved + held);
    ALTER TABLE ims.inventory_transactions
      ADD COLUMN delta_held bigint NOT NULL DEFAULT 0,
      ADD COLUMN held_after bigint NOT NULL DEFAULT 0,
      ADD COLUMN hold_id uuid;

    CREATE TABLE ims.holds (
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      reference text,
      status text NOT NULL CHECK (status IN ('active', 'converted', 'released', 'expired')),
      expires_at timestamptz NOT NULL,
      order_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id)
    );
    CREATE INDEX holds_due_idx ON ims.holds (expires_at) WHERE status = 'active';
    CREATE INDEX holds_status_idx ON ims.holds (tenant_id, status, id);

    CREATE TABLE ims.hold_lines (
      tenant_id uuid NOT NULL,
      hold_id uuid NOT NULL,
      hub_id uuid NOT NULL,
      sku_id uuid NOT NULL,
      quantity bigint NOT NULL CHECK (quantity > 0),
      allocation text,
      PRIMARY KEY (tenant_id, hold_id, hub_id, sku_id),
      FOREIGN KEY (tenant_id, hold_id) REFERENCES ims.holds (tenant_id, id) ON DELETE CASCADE
    );

    ALTER TABLE oms.orders ADD COLUMN hold_id uuid;
    CREATE UNIQUE INDEX orders_hold_idx ON oms.orders (tenant_id, hold_id) WHERE hold_id IS NOT NULL;
  `,
  down: `
    DROP INDEX oms.orders_hold_idx;
    ALTER TABLE oms.orders DROP COLUMN hold_id;
    DROP TABLE ims.hold_lines;
    DROP TABLE ims.holds;
    ALTER TABLE ims.inventory_transactions DROP COLUMN delta_held, DROP COLUMN held_after, DROP COLUMN hold_id;
    ALTER TABLE ims.stock_levels
      DROP CONSTRAINT stock_levels_within_on_hand,
      DROP CONSTRAINT stock_levels_held_nonnegative,
      ADD CONSTRAINT stock_levels_within_on_hand CHECK (on_hand >= reserved);
    ALTER TABLE ims.stock_levels DROP COLUMN held;
  `,
};
