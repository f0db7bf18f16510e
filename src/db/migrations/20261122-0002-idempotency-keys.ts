import type { Migration } from './migration';

/**
 * Idempotency-Key records for creating POSTs (IETF httpapi-idempotency-key draft). Keys are
 * scoped to the caller (a tenant, or the admin acting for a tenant or for itself) and kept at
 * least 24 hours. A key is `running` while its first request executes, then `done` with the
 * response that later requests with the same key and body replay.
 */
export const idempotencyKeys: Migration = {
  id: '20261122-0002-idempotency-keys',
  up: `
    CREATE SCHEMA api;
    CREATE TABLE api.idempotency_keys (
      principal text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'done')),
      response_status int,
      response_type text,
      response_body text,
      locked_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (principal, key)
    );
    -- Serves the periodic purge of expired keys.
    CREATE INDEX idempotency_keys_expiry_idx ON api.idempotency_keys (expires_at);
  `,
  down: `DROP SCHEMA api CASCADE;`,
};
