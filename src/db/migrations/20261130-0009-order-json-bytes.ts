import type { Migration } from './migration';

/**
 * What an order weighs as JSON, kept by PostgreSQL itself (a stored generated column): its
 * items and address, the parts that can be big. A page of orders is cut at a byte budget from
 * this figure alone, before any big row is read (GET /orders).
 */
export const orderJsonBytes: Migration = {
  id: '20261130-0009-order-json-bytes',
  up: `ALTER TABLE oms.orders ADD COLUMN json_bytes integer
         GENERATED ALWAYS AS (octet_length(items::text) + coalesce(octet_length(shipping_address::text), 0)) STORED;`,
  down: `ALTER TABLE oms.orders DROP COLUMN json_bytes;`,
};
