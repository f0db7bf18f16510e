import type { Migration } from './migration';

/**
 * The OMS schema: customers, orders, and the event outbox with its consumer offsets and
 * dead letters. OMS never references IMS tables (the two may be deployed apart): hubs, SKUs
 * and sellers are stored by their IMS id and code as they were when the order was taken.
 */
export const omsSchema: Migration = {
  id: '20261122-0003-oms-schema',
  up: `
    CREATE SCHEMA oms;

    CREATE TABLE oms.customers (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL,
      name text NOT NULL,
      email text NOT NULL,
      address jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id)
    );
    -- One customer per e-mail address within a tenant, whatever its case: orders with an inline
    -- customer find or create by it.
    CREATE UNIQUE INDEX customers_email_unique ON oms.customers (tenant_id, lower(email));

    CREATE TABLE oms.orders (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL,
      reference text NOT NULL,
      customer_id uuid NOT NULL,
      hub_id uuid NOT NULL,
      hub text NOT NULL,
      seller_id uuid,
      seller text,
      items jsonb NOT NULL,
      total_amount numeric(16, 2) NOT NULL CHECK (total_amount >= 0),
      currency text NOT NULL,
      shipping_address jsonb,
      order_date timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('on_hold', 'new_order', 'shipped', 'delivered', 'cancelled')),
      status_reason text,
      source text NOT NULL CHECK (source IN ('api', 'csv')),
      upload_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      CONSTRAINT orders_reference_unique UNIQUE (tenant_id, reference),
      CONSTRAINT orders_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES oms.customers (tenant_id, id)
    );
    -- List filters: newest first by id within a status, a customer, a hub.
    CREATE INDEX orders_status_idx ON oms.orders (tenant_id, status, id);
    CREATE INDEX orders_customer_idx ON oms.orders (tenant_id, customer_id, id);
    CREATE INDEX orders_hub_idx ON oms.orders (tenant_id, hub_id, id);
    -- Held back-orders are retried oldest (smallest time-ordered id) first per hub.
    CREATE INDEX orders_held_idx ON oms.orders (tenant_id, hub_id, id) WHERE status = 'on_hold';

    -- The transactional outbox. tx_id is the writing transaction's id: consumers read in
    -- (tx_id, seq) order and only below the oldest still-running transaction, so an event that
    -- commits late is never skipped (a plain sequence can commit out of order).
    CREATE TABLE oms.events (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      id uuid NOT NULL UNIQUE DEFAULT public.uuid_generate_v7(),
      type text NOT NULL,
      tenant_id uuid NOT NULL,
      key text NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      data jsonb NOT NULL
    );
    CREATE INDEX events_position_idx ON oms.events (tx_id, seq);

    -- One row per consumer group: the position of the last event it has handled, and a lease
    -- so that one process at a time consumes for the group.
    CREATE TABLE oms.consumer_offsets (
      consumer text PRIMARY KEY,
      tx_id xid8 NOT NULL DEFAULT '0',
      seq bigint NOT NULL DEFAULT 0,
      leased_by text,
      lease_until timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Events a consumer gave up on after its attempts; listed and retried by the admin.
    CREATE TABLE oms.dead_letters (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      consumer text NOT NULL,
      event_seq bigint NOT NULL REFERENCES oms.events (seq),
      attempts int NOT NULL,
      error text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      retried_at timestamptz
    );
  `,
  down: `DROP SCHEMA oms CASCADE;`,
};
