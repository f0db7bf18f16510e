/**
 * buildTestApp(): the real application on a fresh database, driven through `app.inject`
 * (real routing, validation, serialization; no sockets). Plus small factories for tenants,
 * catalog rows and stock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import type { RawEnv } from '../../src/config/environment';
import { closeContext, createContext, prepareDatabase, type AppContext } from '../../src/context';
import { buildApp } from '../../src/http/app';
import type { Api } from '../../src/http/types';
import { createTestDatabase, type TestDatabase } from './db';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  /** A raw payload sent as is (malformed JSON, huge bodies). */
  payload?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: Api;
  ctx: AppContext;
  database: TestDatabase;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<Response<T>>;
  /** A new tenant with its own key; `as` sends requests with that key. */
  tenant(code?: string): Promise<TestTenant>;
  close(): Promise<void>;
}

export interface TestTenant {
  id: string;
  code: string;
  key: string;
  as<T = any>(method: string, url: string, options?: Omit<RequestOptions, 'key'>): Promise<Response<T>>;
}

let tenantCounter = 0;

export async function buildTestApp(env: RawEnv = {}, options: { poolSize?: number } = {}): Promise<TestApp> {
  const database = await createTestDatabase(options);
  // The object store lives under DATA_DIR: each app gets its own directory.
  const dataDir = env.DATA_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'oms-test-data-')));
  const config = loadConfig({ OMS_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', ...env, DATA_DIR: dataDir });
  const ctx = createContext({ config, logger: pino({ level: 'silent' }), db: database.db });
  await prepareDatabase(ctx);
  const app = await buildApp(ctx);

  const request = async <T>(method: string, url: string, options: RequestOptions = {}): Promise<Response<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | Buffer | undefined = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown = res.body;
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json') && res.body !== '') body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers, text: res.body };
  };

  const tenant = async (code = `t${process.pid}-${++tenantCounter}`): Promise<TestTenant> => {
    const created = await request<any>('POST', '/tenants', { body: { code, name: `Tenant ${code}` } });
    if (created.status !== 201) throw new Error(`tenant create failed: ${created.text}`);
    const issued = await request<any>('POST', `/tenants/${created.body.id}/api-keys`);
    if (issued.status !== 201) throw new Error(`key create failed: ${issued.text}`);
    const key = issued.body.key as string;
    return {
      id: created.body.id,
      code,
      key,
      as: (method, url, options = {}) => request(method, url, { ...options, key }),
    };
  };

  return {
    app,
    ctx,
    database,
    request,
    tenant,
    async close() {
      await app.close();
      await closeContext(ctx);
      await database.drop();
      if (!env.DATA_DIR) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates hubs, SKUs and stock for a tenant: stock is [hub, sku, on_hand][]. */
export async function seedCatalog(t: TestTenant, spec: { hubs?: string[]; skus?: string[]; stock?: [string, string, number][] }): Promise<void> {
  for (const code of spec.hubs ?? []) await expectStatus(t.as('POST', '/hubs', { body: { code, name: `Hub ${code}` } }), 201);
  for (const code of spec.skus ?? []) await expectStatus(t.as('POST', '/skus', { body: { code, name: `SKU ${code}` } }), 201);
  if (spec.stock && spec.stock.length > 0) {
    const body = spec.stock.map(([hub, sku, on_hand]) => ({ hub, sku, on_hand }));
    await expectStatus(t.as('PUT', '/inventory', { body }), 200);
  }
}

export async function expectStatus(pending: Promise<Response>, status: number): Promise<Response> {
  const res = await pending;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  return res;
}

/** A new tenant with hubs H1, H2, SKUs A, B, C and the given stock: the usual stage for stock tests. */
export async function stockedTenant(t: TestApp, stock: [string, string, number][] = []): Promise<TestTenant> {
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1', 'H2'], skus: ['A', 'B', 'C'], stock });
  return own;
}

/** A multipart/form-data body with one file part (and any text fields before it). */
export function multipartBody(file: { name?: string; content: string | Buffer; type?: string }, fields: Record<string, string> = {}) {
  const boundary = `----oms-test-${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name ?? 'orders.csv'}"\r\ncontent-type: ${file.type ?? 'text/csv'}\r\n\r\n`,
    ),
  );
  parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8'));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** One stock level of a tenant: {hub, sku, on_hand, reserved, held, available}. */
export async function levelOf(own: TestTenant, hub: string, sku: string) {
  return (await own.as('GET', `/inventory?hub=${hub}&skus=${sku}`)).body.data[0];
}

/** The tenant's levels equal the sums of its ledger. */
export async function expectReconciled(own: TestTenant): Promise<void> {
  const { expect } = await import('vitest');
  expect((await own.as('GET', '/inventory/reconcile')).body.mismatches).toEqual([]);
}
