import type { Migration } from './migration';

/**
 * The IMS schema: tenants and their keys, the catalog, stock levels, the append-only ledger
 * and reservations. Every tenant-owned table carries `tenant_id`, and every reference between
 * tenant-owned rows is a composite (tenant_id, id) foreign key, so a row can never point at
 * another tenant's row even if application code had a bug.
 */
export const imsSchema: Migration = {
  id: '20261121-0001-ims-schema',
  up: `
    -- Time-ordered UUIDs (version 7): ids sort by creation time, which keeps b-tree inserts
    -- local and makes "ORDER BY id" a stable keyset for cursor pagination. PostgreSQL 15 and
    -- PGlite have no built-in generator, so this sets the version bits on a random UUID whose
    -- first 48 bits are replaced by the Unix time in milliseconds.
    CREATE OR REPLACE FUNCTION public.uuid_generate_v7() RETURNS uuid AS $$
      SELECT encode(
        set_bit(set_bit(
          overlay(uuid_send(gen_random_uuid())
                  PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                  FROM 1 FOR 6),
          52, 1), 53, 1), 'hex')::uuid
    $$ LANGUAGE sql VOLATILE;

    CREATE SCHEMA ims;

    CREATE TABLE ims.tenants (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      code text NOT NULL UNIQUE,
      name text NOT NULL,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- API keys are stored as SHA-256 digests: the keys are 256-bit random tokens, so a slow
    -- password hash adds nothing and a digest lets authentication be one indexed look-up.
    -- tenant_id NULL marks the admin key.
    CREATE TABLE ims.api_keys (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      tenant_id uuid REFERENCES ims.tenants(id) ON DELETE CASCADE,
      key_hash text NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      name text,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
    -- At most one generated admin key: concurrent first start-ups race on this index, and only
    -- the winner prints its key.
    CREATE UNIQUE INDEX api_keys_one_admin ON ims.api_keys ((true)) WHERE tenant_id IS NULL AND revoked_at IS NULL;

    CREATE TABLE ims.sellers (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      code text NOT NULL,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      CONSTRAINT sellers_code_unique UNIQUE (tenant_id, code)
    );

    CREATE TABLE ims.categories (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      code text NOT NULL,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      CONSTRAINT categories_code_unique UNIQUE (tenant_id, code)
    );

    CREATE TABLE ims.hubs (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      code text NOT NULL,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      CONSTRAINT hubs_code_unique UNIQUE (tenant_id, code)
    );

    CREATE TABLE ims.skus (
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      code text NOT NULL,
      name text NOT NULL,
      seller_id uuid,
      category_id uuid,
      attributes jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      CONSTRAINT skus_code_unique UNIQUE (tenant_id, code),
      -- A seller or category still referenced by a SKU cannot be deleted (answers 409).
      CONSTRAINT skus_seller_fk FOREIGN KEY (tenant_id, seller_id) REFERENCES ims.sellers (tenant_id, id),
      CONSTRAINT skus_category_fk FOREIGN KEY (tenant_id, category_id) REFERENCES ims.categories (tenant_id, id)
    );
    -- Supports the foreign-key checks when a seller or category is deleted.
    CREATE INDEX skus_seller_idx ON ims.skus (tenant_id, seller_id) WHERE seller_id IS NOT NULL;
    CREATE INDEX skus_category_idx ON ims.skus (tenant_id, category_id) WHERE category_id IS NOT NULL;

    -- One row per (hub, sku) that has ever been stocked. The CHECKs are the last line of
    -- defence against overselling: even a buggy statement cannot commit reserved > on_hand.
    CREATE TABLE ims.stock_levels (
      tenant_id uuid NOT NULL,
      hub_id uuid NOT NULL,
      sku_id uuid NOT NULL,
      on_hand bigint NOT NULL DEFAULT 0,
      reserved bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, hub_id, sku_id),
      CONSTRAINT stock_levels_reserved_nonnegative CHECK (reserved >= 0),
      CONSTRAINT stock_levels_within_on_hand CHECK (on_hand >= reserved),
      CONSTRAINT stock_levels_hub_fk FOREIGN KEY (tenant_id, hub_id) REFERENCES ims.hubs (tenant_id, id),
      CONSTRAINT stock_levels_sku_fk FOREIGN KEY (tenant_id, sku_id) REFERENCES ims.skus (tenant_id, id)
    ) WITH (fillfactor = 80); -- rows are updated constantly: leave room on each page for HOT updates
    -- Supports the foreign-key check on SKU delete and per-SKU totals across hubs.
    CREATE INDEX stock_levels_sku_idx ON ims.stock_levels (tenant_id, sku_id);

    -- The append-only audit trail. Deliberately no foreign keys to hubs/SKUs: history outlives
    -- a deleted (empty) hub or SKU. Levels always equal the sums of these deltas.
    CREATE TABLE ims.inventory_transactions (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      -- Insertion order, also within one statement (UUIDv7s of one millisecond are unordered);
      -- the list order and cursor key of GET /inventory/transactions.
      seq bigint GENERATED ALWAYS AS IDENTITY,
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      hub_id uuid NOT NULL,
      sku_id uuid NOT NULL,
      delta_on_hand bigint NOT NULL,
      delta_reserved bigint NOT NULL,
      on_hand_after bigint NOT NULL,
      reserved_after bigint NOT NULL,
      reason text NOT NULL,
      order_id text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Listing is "tenant, newest first by seq" with optional filters; these serve the common
    -- ones, and the second also serves the per-(hub, sku) sums of the reconciliation.
    CREATE INDEX inventory_transactions_tenant_idx ON ims.inventory_transactions (tenant_id, seq);
    CREATE INDEX inventory_transactions_stock_idx ON ims.inventory_transactions (tenant_id, hub_id, sku_id, seq);
    CREATE INDEX inventory_transactions_order_idx ON ims.inventory_transactions (tenant_id, order_id) WHERE order_id IS NOT NULL;

    -- One reservation per (tenant, order). Its primary key is what makes POST /reservations
    -- idempotent even when two identical requests race: the second INSERT waits for the first
    -- transaction and then sees its row.
    CREATE TABLE ims.reservations (
      tenant_id uuid NOT NULL REFERENCES ims.tenants(id) ON DELETE CASCADE,
      order_id text NOT NULL,
      hub_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('reserved', 'released', 'committed')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, order_id)
    );

    CREATE TABLE ims.reservation_lines (
      tenant_id uuid NOT NULL,
      order_id text NOT NULL,
      sku_id uuid NOT NULL,
      quantity bigint NOT NULL CHECK (quantity > 0),
      PRIMARY KEY (tenant_id, order_id, sku_id),
      FOREIGN KEY (tenant_id, order_id) REFERENCES ims.reservations (tenant_id, order_id) ON DELETE CASCADE
    );
  `,
  down: `
    DROP SCHEMA ims CASCADE;
    DROP FUNCTION IF EXISTS public.uuid_generate_v7();
  `,
};
