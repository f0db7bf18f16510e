import type { Migration } from './migration';

/**
 * For people watching: how far into its file an upload's ingest has got (bytes, for a progress
 * bar), and an order's history (its events, found by tenant and order id).
 */
export const uploadProgress: Migration = {
  id: '20261122-0006-upload-progress',
  up: `
    ALTER TABLE oms.uploads ADD COLUMN bytes_done bigint NOT NULL DEFAULT 0;
    CREATE INDEX events_order_idx ON oms.events (tenant_id, key, seq);
  `,
  down: `
    DROP INDEX oms.events_order_idx;
    ALTER TABLE oms.uploads DROP COLUMN bytes_done;
  `,
};
