/**
 * A tenant's webhook endpoints: where to send which events, and the secrets that sign them. A
 * generated secret is shown once, when it is made; reads never show secrets.
 */
import { isIP } from 'node:net';
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { EVENT_TYPES, type EventType } from '../../events/envelope';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { FieldErrors, notFound } from '../../shared/errors';
import { isForbiddenAddress } from './address-guard';
import { generateSecret, isValidSecret } from './signature';

/** An endpoint subscribes to any of the order events. */
export const WEBHOOK_EVENTS = EVENT_TYPES;
export type WebhookEvent = EventType;

/** How long the secrets an endpoint had keep signing after a rotation. */
const ROTATION_OVERLAP = '24 hours';

export interface Endpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  active: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EndpointInput {
  url: string;
  events: WebhookEvent[];
  description?: string;
  secret?: string;
}

export interface EndpointPatch {
  url?: string;
  events?: WebhookEvent[];
  description?: string | null;
  active?: boolean;
}

const COLUMNS = 'id, url, events, description, active, disabled_reason, failing_since, created_at, updated_at';

export class EndpointService {
  constructor(
    private readonly db: Db,
    private readonly allowPrivateNetworks: boolean,
  ) {}

  /** Problems with a target URL that are visible without resolving it. */
  checkUrl(url: string, errors: FieldErrors): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return errors.add('url', 'field.webhook_url', { reason: 'not an absolute URL' });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return errors.add('url', 'field.webhook_url', { reason: 'only https:// and http:// are allowed' });
    if (parsed.username || parsed.password) return errors.add('url', 'field.webhook_url', { reason: 'credentials in the URL are not allowed' });
    if (this.allowPrivateNetworks) return;
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if ((isIP(host) && isForbiddenAddress(host)) || host === 'localhost' || host.endsWith('.localhost')) {
      errors.add('url', 'field.webhook_url', { reason: 'private, loopback and link-local addresses are not allowed' });
    }
  }

  async create(tenantId: string, input: EndpointInput): Promise<Endpoint & { secret: string }> {
    const errors = new FieldErrors();
    this.checkUrl(input.url, errors);
    checkSecret(input.secret, errors);
    errors.throwIfAny();
    const secret = input.secret ?? generateSecret();
    return this.db.transaction(async (tx) => {
      const scope = new TenantScope(tx, tenantId);
      const [endpoint] = await scope.query<Endpoint>(
        `INSERT INTO oms.webhook_endpoints (tenant_id, url, events, description) VALUES ($1, $2, $3::text[], $4) RETURNING ${COLUMNS}`,
        [input.url, unique(input.events), input.description ?? null],
      );
      await scope.query('INSERT INTO oms.webhook_secrets (tenant_id, endpoint_id, secret) VALUES ($1, $2, $3)', [endpoint!.id, secret]);
      return { ...endpoint!, secret };
    });
  }

  async list(tenantId: string, query: { limit: number; cursor?: string }) {
    const rows = await new TenantScope(this.db, tenantId).query<Endpoint>(
      `SELECT ${COLUMNS} FROM oms.webhook_endpoints WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
      [decodeCursor(query.cursor) ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, (r) => r.id);
  }

  async get(tenantId: string, id: string): Promise<Endpoint> {
    const rows = isUuid(id) ? await new TenantScope(this.db, tenantId).query<Endpoint>(`SELECT ${COLUMNS} FROM oms.webhook_endpoints WHERE tenant_id = $1 AND id = $2`, [id]) : [];
    if (!rows[0]) throw notFound('Webhook', id);
    return rows[0];
  }

  /** Changes the given fields; `active: true` re-enables a disabled endpoint and forgets its failures. */
  async update(tenantId: string, id: string, patch: EndpointPatch): Promise<Endpoint> {
    const errors = new FieldErrors();
    if (patch.url !== undefined) this.checkUrl(patch.url, errors);
    if (Object.keys(patch).length === 0) errors.add('body', 'field.empty_patch');
    errors.throwIfAny();
    if (!isUuid(id)) throw notFound('Webhook', id);
    const rows = await new TenantScope(this.db, tenantId).query<Endpoint>(
      `UPDATE oms.webhook_endpoints SET
         url = coalesce($3, url),
         events = coalesce($4::text[], events),
         description = CASE WHEN $5 THEN $6 ELSE description END,
         active = coalesce($7, active),
         disabled_reason = CASE WHEN $7 IS NULL THEN disabled_reason WHEN $7 THEN NULL ELSE coalesce(disabled_reason, 'disabled by the tenant') END,
         failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [id, patch.url ?? null, patch.events ? unique(patch.events) : null, patch.description !== undefined, patch.description ?? null, patch.active ?? null],
    );
    if (!rows[0]) throw notFound('Webhook', id);
    return rows[0];
  }

  async remove(tenantId: string, id: string): Promise<void> {
    const rows = isUuid(id) ? await new TenantScope(this.db, tenantId).query('DELETE FROM oms.webhook_endpoints WHERE tenant_id = $1 AND id = $2 RETURNING id', [id]) : [];
    if (rows.length === 0) throw notFound('Webhook', id);
  }

  /**
   * A new signing secret (shown once). The endpoint's other secrets keep signing for 24 hours,
   * so a receiver can switch over without missing a delivery.
   */
  async rotateSecret(tenantId: string, id: string, supplied?: string): Promise<{ secret: string; previous_secrets_expire_at: Date }> {
    const errors = new FieldErrors();
    checkSecret(supplied, errors);
    errors.throwIfAny();
    await this.get(tenantId, id);
    const secret = supplied ?? generateSecret();
    return this.db.transaction(async (tx) => {
      const scope = new TenantScope(tx, tenantId);
      // now() is the transaction's start: the same instant in both statements.
      await scope.query(
        `UPDATE oms.webhook_secrets SET expires_at = least(coalesce(expires_at, now() + interval '${ROTATION_OVERLAP}'), now() + interval '${ROTATION_OVERLAP}')
         WHERE tenant_id = $1 AND endpoint_id = $2`,
        [id],
      );
      const [added] = await scope.query<{ previous_secrets_expire_at: Date }>(
        `INSERT INTO oms.webhook_secrets (tenant_id, endpoint_id, secret) VALUES ($1, $2, $3)
         RETURNING created_at + interval '${ROTATION_OVERLAP}' AS previous_secrets_expire_at`,
        [id, secret],
      );
      return { secret, previous_secrets_expire_at: added!.previous_secrets_expire_at };
    });
  }

  /** The secrets that sign a delivery now. */
  async activeSecrets(tenantId: string, id: string): Promise<string[]> {
    const rows = await new TenantScope(this.db, tenantId).query<{ secret: string }>(
      'SELECT secret FROM oms.webhook_secrets WHERE tenant_id = $1 AND endpoint_id = $2 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id',
      [id],
    );
    return rows.map((r) => r.secret);
  }
}

/** A secret the tenant supplies must have the form and length of one we would make. */
function checkSecret(secret: string | undefined, errors: FieldErrors): void {
  if (secret !== undefined && !isValidSecret(secret)) errors.add('secret', 'field.webhook_secret');
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
