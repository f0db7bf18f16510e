import type { Migration } from './migration';

/**
 * Tenant webhooks: endpoints with their signing secrets, one delivery per (endpoint, event), and
 * every attempt of a delivery.
 */
export const webhooks: Migration = {
  id: '20261122-0005-webhooks',
  up: `
    CREATE TABLE oms.webhook_endpoints (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      url text NOT NULL CHECK (length(url) <= 2048),
      events text[] NOT NULL CHECK (cardinality(events) > 0),
      description text,
      active boolean NOT NULL DEFAULT true,
      disabled_reason text,
      -- Set by the first failed delivery after a success; an endpoint failing for 5 days is disabled.
      failing_since timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id)
    );

    -- Signing secrets, kept as they are (an HMAC needs the secret itself). Several are active
    -- during a rotation: each delivery carries one signature per secret not yet expired.
    CREATE TABLE oms.webhook_secrets (
      tenant_id uuid NOT NULL,
      endpoint_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      PRIMARY KEY (tenant_id, endpoint_id, id),
      FOREIGN KEY (tenant_id, endpoint_id) REFERENCES oms.webhook_endpoints (tenant_id, id) ON DELETE CASCADE
    );

    -- One delivery per endpoint and event (the unique key makes creating them idempotent). The
    -- body is stored as sent, so every retry sends the same bytes under the same webhook-id.
    CREATE TABLE oms.webhook_deliveries (
      tenant_id uuid NOT NULL,
      id uuid NOT NULL DEFAULT public.uuid_generate_v7(),
      endpoint_id uuid NOT NULL,
      event_id uuid NOT NULL,
      event_type text NOT NULL,
      body text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz DEFAULT now(),
      last_status_code integer,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, id),
      UNIQUE (tenant_id, endpoint_id, event_id),
      FOREIGN KEY (tenant_id, endpoint_id) REFERENCES oms.webhook_endpoints (tenant_id, id) ON DELETE CASCADE
    );
    -- What the dispatcher scans: pending deliveries by when they are due.
    CREATE INDEX webhook_deliveries_due_idx ON oms.webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_endpoint_idx ON oms.webhook_deliveries (tenant_id, endpoint_id, id);

    CREATE TABLE oms.webhook_attempts (
      tenant_id uuid NOT NULL,
      delivery_id uuid NOT NULL,
      n integer NOT NULL,
      attempted_at timestamptz NOT NULL,
      status_code integer,
      latency_ms integer NOT NULL,
      error text,
      response_body text,
      PRIMARY KEY (tenant_id, delivery_id, n),
      FOREIGN KEY (tenant_id, delivery_id) REFERENCES oms.webhook_deliveries (tenant_id, id) ON DELETE CASCADE
    );
  `,
  down: `
    DROP TABLE oms.webhook_attempts;
    DROP TABLE oms.webhook_deliveries;
    DROP TABLE oms.webhook_secrets;
    DROP TABLE oms.webhook_endpoints;
  `,
};
