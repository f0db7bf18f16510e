import type { Migration } from './migration';

/**
 * Bulk uploads and the database work queue, and orders without a customer (CSV layouts that
 * carry no customer columns).
 */
export const uploadsAndJobs: Migration = {
  id: '20261122-0004-uploads-and-jobs',
  up: `
    -- The work queue (WorkQueue port, database engine). A job is pending until acknowledged
    -- (then deleted) or dead. A received job stays pending but invisible until visible_at:
    -- a worker that dies lets it reappear; 'attempts' doubles as the receipt that proves the
    -- worker holding it is still the current one.
    CREATE SCHEMA queue;
    CREATE TABLE queue.jobs (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      queue text NOT NULL,
      payload jsonb NOT NULL,
      dedupe_key text,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL CHECK (max_attempts > 0),
      visible_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- What receive() scans: pending jobs of a queue by the time they become visible.
    CREATE INDEX jobs_pending_idx ON queue.jobs (queue, visible_at) WHERE state = 'pending';
    -- Sending the same dedupe key again while a job for it is pending adds nothing.
    CREATE UNIQUE INDEX jobs_dedupe_idx ON queue.jobs (queue, dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL;
    CREATE INDEX jobs_dead_idx ON queue.jobs (queue, id) WHERE state = 'dead';

    -- A CSV upload and its progress. tenant_id is NULL for an admin upload whose rows name
    -- their tenants. rows_done is the checkpoint: rows up to it are committed with their orders,
    -- so a retried job resumes after it and counts every row once.
    CREATE TABLE oms.uploads (
      id uuid PRIMARY KEY DEFAULT public.uuid_generate_v7(),
      tenant_id uuid,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
      filename text NOT NULL,
      object_key text NOT NULL,
      delimiter text,
      header jsonb,
      size_bytes bigint,
      content_sha256 text,
      rows_total integer NOT NULL DEFAULT 0,
      rows_valid integer NOT NULL DEFAULT 0,
      rows_invalid integer NOT NULL DEFAULT 0,
      orders_created integer NOT NULL DEFAULT 0,
      rows_done integer NOT NULL DEFAULT 0,
      batches_done integer NOT NULL DEFAULT 0,
      errors_file text,
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX uploads_tenant_idx ON oms.uploads (tenant_id, id);
    -- Uploads not finished yet: the ingest role re-sends their jobs after a lost send.
    CREATE INDEX uploads_open_idx ON oms.uploads (updated_at) WHERE status IN ('queued', 'processing');

    ALTER TABLE oms.orders ALTER COLUMN customer_id DROP NOT NULL;
  `,
  down: `
    DELETE FROM oms.orders WHERE customer_id IS NULL;
    ALTER TABLE oms.orders ALTER COLUMN customer_id SET NOT NULL;
    DROP TABLE oms.uploads;
    DROP SCHEMA queue CASCADE;
  `,
};
