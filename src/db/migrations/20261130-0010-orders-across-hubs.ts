import type { Migration } from './migration';

/**
 * Orders across hubs (issue 19): lines at different hubs, deliveries, partial shipments and
 * returns.
 *
 * IMS
 * - A hub's `priority` orders the hubs allocation tries (lower first).
 * - A reservation's lines carry their own hub and why it was chosen; the reservation's hub_id
 *   is kept only for reservations made before this migration (null on new ones).
 * - A line's units are settled in parts: `committed` (shipped) and `released` (cancelled) count
 *   what has left the reservation; the rest is still held.
 * - Each settlement (a shipment, a cancelled delivery, a return's restock) is claimed once by its
 *   operation id, which makes it idempotent, and ledger rows name it.
 *
 * OMS
 * - An order's hub is a default for its lines and may be absent (allocated when finalized); a
 *   line may name its own hub (items[].hub, items[].hub_id).
 * - Statuses follow the order's deliveries and returns.
 */
export const ordersAcrossHubs: Migration = {
  id: '20261130-0010-orders-across-hubs',
  up: `
    ALTER TABLE ims.hubs ADD COLUMN priority integer NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 1000000);

    ALTER TABLE ims.reservations ALTER COLUMN hub_id DROP NOT NULL;
    ALTER TABLE ims.reservation_lines
      ADD COLUMN hub_id uuid,
      ADD COLUMN allocation text,
      ADD COLUMN committed bigint NOT NULL DEFAULT 0,
      ADD COLUMN released bigint NOT NULL DEFAULT 0;
    UPDATE ims.reservation_lines l
    SET hub_id = r.hub_id,
        committed = CASE WHEN r.status = 'committed' THEN l.quantity ELSE 0 END,
        released = CASE WHEN r.status = 'released' THEN l.quantity ELSE 0 END
    FROM ims.reservations r WHERE r.tenant_id = l.tenant_id AND r.order_id = l.order_id;
    ALTER TABLE ims.reservation_lines
      ALTER COLUMN hub_id SET NOT NULL,
      DROP CONSTRAINT reservation_lines_pkey,
      ADD PRIMARY KEY (tenant_id, order_id, hub_id, sku_id),
      ADD CONSTRAINT reservation_lines_settled_within CHECK (committed >= 0 AND released >= 0 AND committed + released <= quantity);
    -- A hub with units still held cannot be deleted: found by this index.
    CREATE INDEX reservation_lines_held_idx ON ims.reservation_lines (tenant_id, hub_id) WHERE committed + released < quantity;

    CREATE TABLE ims.reservation_operations (
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      operation_id text NOT NULL,
      order_id text NOT NULL,
      action text NOT NULL CHECK (action IN ('commit', 'release', 'restock')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, operation_id)
    );
    ALTER TABLE ims.inventory_transactions ADD COLUMN operation_id text;

    ALTER TABLE oms.orders ALTER COLUMN hub_id DROP NOT NULL, ALTER COLUMN hub DROP NOT NULL;
    ALTER TABLE oms.orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE oms.orders ADD CONSTRAINT orders_status_check CHECK (status IN
      ('on_hold', 'new_order', 'partially_shipped', 'shipped', 'delivered', 'partially_returned', 'returned', 'cancelled'));
    DROP INDEX oms.orders_held_idx;
    CREATE INDEX orders_held_idx ON oms.orders (tenant_id, id) WHERE status = 'on_hold';

    -- What leaves one hub for an order: created when the order is reserved, one per hub; a
    -- partial shipment splits the shipped units off into a delivery of their own.
    CREATE TABLE oms.order_deliveries (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      order_id uuid NOT NULL,
      hub_id uuid NOT NULL,
      hub text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
      items jsonb NOT NULL,
      tracking_number text,
      split_from uuid,
      shipped_at timestamptz,
      delivered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      FOREIGN KEY (tenant_id, order_id) REFERENCES oms.orders (tenant_id, id) ON DELETE CASCADE
    );
    CREATE INDEX order_deliveries_order_idx ON oms.order_deliveries (tenant_id, order_id, id);
    -- Orders reserved before deliveries existed ship as one delivery from their hub.
    INSERT INTO oms.order_deliveries (tenant_id, order_id, hub_id, hub, status, items, shipped_at, delivered_at)
    SELECT o.tenant_id, o.id, o.hub_id, o.hub, CASE o.status WHEN 'new_order' THEN 'pending' ELSE o.status END,
           (SELECT jsonb_agg(jsonb_build_object('sku', i->>'sku', 'sku_id', i->>'sku_id', 'quantity', (i->>'quantity')::int))
            FROM jsonb_array_elements(o.items) AS i),
           CASE WHEN o.status IN ('shipped', 'delivered') THEN o.updated_at END,
           CASE WHEN o.status = 'delivered' THEN o.updated_at END
    FROM oms.orders o WHERE o.status IN ('new_order', 'shipped', 'delivered');

    -- Units that came back, each line with its disposition and the hub it shipped from.
    CREATE TABLE oms.order_returns (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      order_id uuid NOT NULL,
      reason text,
      items jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      FOREIGN KEY (tenant_id, order_id) REFERENCES oms.orders (tenant_id, id) ON DELETE CASCADE
    );
    CREATE INDEX order_returns_order_idx ON oms.order_returns (tenant_id, order_id, id);
  `,
  down: `
    DROP TABLE oms.order_returns;
    DROP TABLE oms.order_deliveries;
    DROP INDEX oms.orders_held_idx;
    CREATE INDEX orders_held_idx ON oms.orders (tenant_id, hub_id, id) WHERE status = 'on_hold';
    ALTER TABLE oms.orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE oms.orders ADD CONSTRAINT orders_status_check CHECK (status IN ('on_hold', 'new_order', 'shipped', 'delivered', 'cancelled'));
    ALTER TABLE ims.inventory_transactions DROP COLUMN operation_id;
    DROP TABLE ims.reservation_operations;
    DROP INDEX ims.reservation_lines_held_idx;
    ALTER TABLE ims.reservation_lines DROP CONSTRAINT reservation_lines_pkey, DROP CONSTRAINT reservation_lines_settled_within;
    ALTER TABLE ims.reservation_lines DROP COLUMN hub_id, DROP COLUMN allocation, DROP COLUMN committed, DROP COLUMN released,
      ADD PRIMARY KEY (tenant_id, order_id, sku_id);
    ALTER TABLE ims.hubs DROP COLUMN priority;
  `,
};
