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
import {
  activeSecrets,
  addSecret,
  deleteEndpoint,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
  type Endpoint,
  type EndpointChanges,
} from './endpoint-repository';
import { generateSecret, isValidSecret } from './signature';

/** An endpoint subscribes to any of the order events. */
export const WEBHOOK_EVENTS = EVENT_TYPES;
export type WebhookEvent = EventType;

export interface EndpointInput {
  url: string;
  events: WebhookEvent[];
  description?: string;
  secret?: string;
}

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
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      return errors.add('url', 'field.webhook_url', { reason: 'only https:// and http:// are allowed' });
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
    const endpoint = await this.db.transaction((tx) =>
      insertEndpoint(new TenantScope(tx, tenantId), {
        url: input.url,
        events: unique(input.events),
        ...(input.description === undefined ? {} : { description: input.description }),
        secret,
      }),
    );
    return { ...endpoint, secret };
  }

  async list(tenantId: string, query: { limit: number; cursor?: string }) {
    const rows = await listEndpoints(new TenantScope(this.db, tenantId), { after: decodeCursor(query.cursor), limit: query.limit + 1 });
    return toPage(rows, query.limit, (r) => r.id);
  }

  async get(tenantId: string, id: string): Promise<Endpoint> {
    const endpoint = isUuid(id) ? await getEndpoint(new TenantScope(this.db, tenantId), id) : undefined;
    if (!endpoint) throw notFound('Webhook', id);
    return endpoint;
  }

  /** Changes the given fields; `active: true` re-enables a disabled endpoint and forgets its failures. */
  async update(tenantId: string, id: string, patch: EndpointChanges): Promise<Endpoint> {
    const errors = new FieldErrors();
    if (patch.url !== undefined) this.checkUrl(patch.url, errors);
    if (Object.keys(patch).length === 0) errors.add('body', 'field.empty_patch');
    errors.throwIfAny();
    if (!isUuid(id)) throw notFound('Webhook', id);
    const updated = await updateEndpoint(new TenantScope(this.db, tenantId), id, patch.events ? { ...patch, events: unique(patch.events) } : patch);
    if (!updated) throw notFound('Webhook', id);
    return updated;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await deleteEndpoint(new TenantScope(this.db, tenantId), id))) throw notFound('Webhook', id);
  }

  /**
   * A new signing secret (shown once). The endpoint's other secrets keep signing for 24 hours,
   * so a receiver can switch over without missing a dispatch.
   */
  async rotateSecret(tenantId: string, id: string, supplied?: string): Promise<{ secret: string; previous_secrets_expire_at: Date }> {
    const errors = new FieldErrors();
    checkSecret(supplied, errors);
    errors.throwIfAny();
    await this.get(tenantId, id);
    const secret = supplied ?? generateSecret();
    const { previous_secrets_expire_at } = await this.db.transaction((tx) => addSecret(new TenantScope(tx, tenantId), id, secret));
    return { secret, previous_secrets_expire_at };
  }

  /** The secrets that sign a dispatch now. */
  async activeSecrets(tenantId: string, id: string): Promise<string[]> {
    return activeSecrets(new TenantScope(this.db, tenantId), id);
  }
}

/** A secret the tenant supplies must have the form and length of one we would make. */
function checkSecret(secret: string | undefined, errors: FieldErrors): void {
  if (secret !== undefined && !isValidSecret(secret)) errors.add('secret', 'field.webhook_secret');
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
