/** SQL of webhook endpoints and their signing secrets. Every statement is tenant-scoped ($1). */
import type { TenantScope } from '../../db/tenant-scope';
import type { EventType } from '../../events/envelope';

export interface Endpoint {
  id: string;
  url: string;
  events: EventType[];
  description: string | null;
  active: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EndpointChanges {
  url?: string;
  events?: EventType[];
  /** undefined: unchanged; null: cleared. */
  description?: string | null;
  active?: boolean;
}

/** How long the secrets an endpoint had keep signing after a rotation. */
const ROTATION_OVERLAP = '24 hours';

const COLUMNS = 'id, url, events, description, active, disabled_reason, failing_since, created_at, updated_at';

/** The endpoint and its first secret; call inside a transaction. */
export async function insertEndpoint(scope: TenantScope, input: { url: string; events: EventType[]; description?: string; secret: string }): Promise<Endpoint> {
  const [endpoint] = await scope.query<Endpoint>(
    `INSERT INTO oms.webhook_endpoints (tenant_id, url, events, description) VALUES ($1, $2, $3::text[], $4) RETURNING ${COLUMNS}`,
    [input.url, input.events, input.description ?? null],
  );
  await scope.query('INSERT INTO oms.webhook_secrets (tenant_id, endpoint_id, secret) VALUES ($1, $2, $3)', [endpoint!.id, input.secret]);
  return endpoint!;
}

export function listEndpoints(scope: TenantScope, query: { after?: string; limit: number }): Promise<Endpoint[]> {
  return scope.query<Endpoint>(
    `SELECT ${COLUMNS} FROM oms.webhook_endpoints WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
    [query.after ?? null, query.limit],
  );
}

export async function getEndpoint(scope: TenantScope, id: string): Promise<Endpoint | undefined> {
  return (await scope.query<Endpoint>(`SELECT ${COLUMNS} FROM oms.webhook_endpoints WHERE tenant_id = $1 AND id = $2`, [id]))[0];
}

/** Changes the given fields; `active: true` re-enables a disabled endpoint and forgets its failures. */
export async function updateEndpoint(scope: TenantScope, id: string, changes: EndpointChanges): Promise<Endpoint | undefined> {
  const rows = await scope.query<Endpoint>(
    `UPDATE oms.webhook_endpoints SET
       url = coalesce($3, url),
       events = coalesce($4::text[], events),
       description = CASE WHEN $5 THEN $6 ELSE description END,
       active = coalesce($7, active),
       disabled_reason = CASE WHEN $7 IS NULL THEN disabled_reason WHEN $7 THEN NULL ELSE coalesce(disabled_reason, 'disabled by the tenant') END,
       failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
       updated_at = now()
     WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [id, changes.url ?? null, changes.events ?? null, changes.description !== undefined, changes.description ?? null, changes.active ?? null],
  );
  return rows[0];
}

/** Answers false when there was no such endpoint. */
export async function deleteEndpoint(scope: TenantScope, id: string): Promise<boolean> {
  return (await scope.query('DELETE FROM oms.webhook_endpoints WHERE tenant_id = $1 AND id = $2 RETURNING id', [id])).length > 0;
}

/**
 * Adds a signing secret; the endpoint's other secrets expire ROTATION_OVERLAP from now (or
 * sooner, if they already did). Call inside a transaction: now() is then one instant for both.
 */
export async function addSecret(scope: TenantScope, endpointId: string, secret: string): Promise<{ previous_secrets_expire_at: Date }> {
  await scope.query(
    `UPDATE oms.webhook_secrets SET expires_at = least(coalesce(expires_at, now() + interval '${ROTATION_OVERLAP}'), now() + interval '${ROTATION_OVERLAP}')
     WHERE tenant_id = $1 AND endpoint_id = $2`,
    [endpointId],
  );
  const [added] = await scope.query<{ previous_secrets_expire_at: Date }>(
    `INSERT INTO oms.webhook_secrets (tenant_id, endpoint_id, secret) VALUES ($1, $2, $3)
     RETURNING created_at + interval '${ROTATION_OVERLAP}' AS previous_secrets_expire_at`,
    [endpointId, secret],
  );
  return added!;
}

/** The secrets that sign a dispatch now, oldest first. */
export async function activeSecrets(scope: TenantScope, endpointId: string): Promise<string[]> {
  const rows = await scope.query<{ secret: string }>(
    'SELECT secret FROM oms.webhook_secrets WHERE tenant_id = $1 AND endpoint_id = $2 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id',
    [endpointId],
  );
  return rows.map((r) => r.secret);
}
