/**
 * InventoryClient over HTTP, for an IMS deployed apart (IMS_URL). Keep-alive connections
 * (undici Pool), timeouts, and retries on network errors and 502/503/504 — every call here is
 * idempotent by design (reads; reservations are idempotent per order id). The IMS answers
 * with the admin key acting for the tenant (X-Tenant-Id).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { BatchResultsWire, CatalogPageWire, HoldWire, ReservationWire, StatsWire, TenantWire } from '../../contracts/inventory-wire';
import {
  MAX_RESERVATIONS_PER_BATCH,
  type CatalogRef,
  type Hold,
  type Reservation,
  type ReserveInput,
  type ReserveResult,
  type SettleInput,
  type TenantSettings,
} from '../../contracts/inventory';
import { DependencyUnavailable } from '../../shared/dependency';
import { AppError } from '../../shared/errors';
import { isMessageCode } from '../../shared/messages';
import { isUuid } from '../../shared/cursor';
import type { InventoryClient, InventoryStats } from '../../ports/inventory-client';

const RETRYABLE_STATUS = new Set([502, 503, 504]);
const PAGE = 200;

export interface HttpInventoryOptions {
  url: string;
  apiKey: string;
  timeoutMs?: number;
  attempts?: number;
}

interface Answer {
  status: number;
  body: any;
}

export class HttpInventoryClient implements InventoryClient {
  private readonly pool: Pool;
  private readonly attempts: number;

  constructor(private readonly options: HttpInventoryOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    this.pool = new Pool(options.url, { connections: 32, keepAliveTimeout: 30_000, headersTimeout: timeout, bodyTimeout: timeout });
    this.attempts = options.attempts ?? 3;
  }

  async resolve(tenantId: string, kind: 'hub' | 'sku' | 'seller', refs: readonly string[]): Promise<Map<string, CatalogRef>> {
    const path = { hub: '/hubs', sku: '/skus', seller: '/sellers' }[kind];
    const unique = [...new Set(refs)];
    const found = new Map<string, CatalogRef>();
    const rows: CatalogRef[] = [];
    for (let i = 0; i < unique.length; i += PAGE) {
      const chunk = unique.slice(i, i + PAGE);
      const ids = chunk.filter(isUuid);
      const byCode = await this.call(tenantId, 'GET', `${path}?limit=500&codes=${chunk.map(encodeURIComponent).join(',')}`);
      rows.push(...decoded(CatalogPageWire, byCode, `GET ${path}`).data);
      if (ids.length > 0)
        rows.push(...decoded(CatalogPageWire, await this.call(tenantId, 'GET', `${path}?limit=500&ids=${ids.join(',')}`), `GET ${path}`).data);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byCode = new Map(rows.map((r) => [r.code, r]));
    for (const ref of unique) {
      const row = byId.get(ref) ?? byCode.get(ref);
      if (row) found.set(ref, { id: row.id, code: row.code, name: row.name, seller_id: row.seller_id, category_id: row.category_id });
    }
    return found;
  }

  async tenantSettings(tenantId: string): Promise<TenantSettings> {
    return decoded(TenantWire, await this.call(undefined, 'GET', `/tenants/${tenantId}`), 'GET /tenants/:id').settings;
  }

  async findTenant(ref: string): Promise<{ id: string; code: string } | undefined> {
    const answer = await this.call(undefined, 'GET', `/tenants/${encodeURIComponent(ref)}`, undefined, [404]);
    if (answer.status === 404) return undefined;
    const tenant = decoded(TenantWire, answer, 'GET /tenants/:id');
    return { id: tenant.id, code: tenant.code };
  }

  async reserve(tenantId: string, input: ReserveInput): Promise<ReserveResult> {
    const answer = await this.call(tenantId, 'POST', '/reservations', input, [409]);
    if (answer.status === 200) return { outcome: 'reserved', reservation: revive(decoded(ReservationWire, answer, 'POST /reservations')) };
    if (answer.body?.status === 'insufficient') return { outcome: 'insufficient', order_id: input.order_id, shortages: answer.body.shortages };
    throw toAppError(answer);
  }

  /** In turns of at most the IMS's batch limit, oldest first, so a long backlog is never refused as too large. */
  async reserveMany(tenantId: string, inputs: readonly ReserveInput[]): Promise<ReserveResult[]> {
    const results: ReserveResult[] = [];
    for (let i = 0; i < inputs.length; i += MAX_RESERVATIONS_PER_BATCH)
      results.push(...(await this.reserveBatch(tenantId, inputs.slice(i, i + MAX_RESERVATIONS_PER_BATCH))));
    return results;
  }

  private async reserveBatch(tenantId: string, inputs: readonly ReserveInput[]): Promise<ReserveResult[]> {
    const answer = await this.call(tenantId, 'POST', '/reservations/batch', { reservations: inputs });
    return decoded(BatchResultsWire, answer, 'POST /reservations/batch').results.map((r): ReserveResult =>
      r.status === 'insufficient' || !r.reservation
        ? { outcome: 'insufficient', order_id: r.order_id, shortages: r.shortages ?? [] }
        : { outcome: r.replayed ? 'replayed' : 'reserved', reservation: revive(r.reservation) },
    );
  }

  async release(tenantId: string, orderId: string): Promise<Reservation | undefined> {
    const answer = await this.call(tenantId, 'DELETE', `/reservations/${encodeURIComponent(orderId)}`, undefined, [404]);
    if (answer.status === 404) return undefined;
    return revive(decoded(ReservationWire, await this.call(tenantId, 'GET', `/reservations/${encodeURIComponent(orderId)}`), 'GET /reservations/:id'));
  }

  async hold(tenantId: string, id: string): Promise<Hold | undefined> {
    const answer = await this.call(tenantId, 'GET', `/holds/${encodeURIComponent(id)}`, undefined, [404]);
    if (answer.status === 404) return undefined;
    const hold = decoded(HoldWire, answer, 'GET /holds/:id');
    return { ...hold, expires_at: new Date(hold.expires_at), created_at: new Date(hold.created_at), updated_at: new Date(hold.updated_at) };
  }

  async commit(tenantId: string, orderId: string): Promise<Reservation> {
    return revive(
      decoded(ReservationWire, await this.call(tenantId, 'POST', `/reservations/${encodeURIComponent(orderId)}/commit`), 'POST /reservations/:id/commit'),
    );
  }

  async settle(tenantId: string, orderId: string, input: SettleInput): Promise<Reservation | undefined> {
    const answer = await this.call(tenantId, 'POST', `/reservations/${encodeURIComponent(orderId)}/settlements`, input);
    return answer.body === undefined ? undefined : revive(decoded(ReservationWire, answer, 'POST /reservations/:id/settlements'));
  }

  async stats(tenantId: string): Promise<InventoryStats> {
    return decoded(StatsWire, await this.call(tenantId, 'GET', '/inventory/summary'), 'GET /inventory/summary');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** One request with retries; answers 2xx (and the listed statuses), throws an AppError for other 4xx. */
  private async call(tenantId: string | undefined, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, accept: number[] = []): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}` };
    if (tenantId) headers['x-tenant-id'] = tenantId;
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        const res = await this.pool.request({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        status = res.statusCode;
        text = await res.body.text();
      } catch (error) {
        // No answer at all (refused, reset, timed out): the IMS is away.
        if (attempt >= this.attempts) throw new DependencyUnavailable('inventory', error);
        await sleep(50 * 2 ** attempt);
        continue;
      }
      const answer: Answer = { status, body: text === '' ? undefined : JSON.parse(text) };
      if (RETRYABLE_STATUS.has(answer.status) && attempt < this.attempts) {
        await sleep(50 * 2 ** attempt);
        continue;
      }
      if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer;
      throw toAppError(answer);
    }
  }
}

/** The wire's timestamps (JSON strings) as dates. */
function revive(reservation: Static<typeof ReservationWire>): Reservation {
  return { ...reservation, created_at: new Date(reservation.created_at), updated_at: new Date(reservation.updated_at) };
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();

/** The answer's body, checked against the contract's schema: an IMS answering another shape is named, not passed on. */
function decoded<T extends TSchema>(schema: T, answer: Answer, what: string): Static<T> {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = Compile(schema)));
  if (validator.Check(answer.body)) return answer.body as Static<T>;
  const [first] = validator.Errors(answer.body);
  throw new Error(`the IMS answered ${what} with an unexpected body: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
}

function toAppError(answer: Answer): Error {
  const code = String(answer.body?.code ?? '');
  if (answer.status >= 400 && answer.status < 500) {
    return new AppError(answer.status, isMessageCode(code) ? code : 'request.bad');
  }
  const failure = new Error(`IMS answered ${answer.status}`);
  return RETRYABLE_STATUS.has(answer.status) ? new DependencyUnavailable('inventory', failure) : failure;
}
