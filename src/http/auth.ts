/**
 * Authentication and tenancy for the API routes. Runs on every request of the API plugin
 * before the body is read: a bad key costs no parsing. Tenant routes get `request.tenantId`
 * from the key itself, or for the admin key from X-Tenant-Id (a tenant id or code); handlers
 * read only that, so a tenant key can never address another tenant's data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context';
import { AppError } from '../shared/errors';
import type { AuthFailureGuard } from './fairness';

function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

export function authenticate(ctx: AppContext, failures: AuthFailureGuard) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = request.routeOptions.config.access ?? 'tenant';
    if (access === 'public') return;

    failures.check(request, reply); // an address that keeps guessing is refused before any look-up
    const key = presentedKey(request);
    if (!key) throw new AppError(401, 'auth.missing_key');
    const principal = await ctx.auth.authenticate(key);
    if (!principal) {
      failures.failed(request);
      throw new AppError(401, 'auth.invalid_key');
    }
    request.apiKey = key;

    if (access === 'admin') {
      if (principal.kind !== 'admin') throw new AppError(403, 'auth.admin_only');
      return;
    }
    if (principal.kind === 'tenant') {
      request.tenantId = principal.tenantId;
      return;
    }
    const named = request.headers['x-tenant-id'];
    if (access === 'tenant-or-admin' && (typeof named !== 'string' || named.trim() === '')) return;
    if (typeof named !== 'string' || named.trim() === '') throw new AppError(400, 'auth.tenant_required');
    const tenant = await ctx.ims.tenants.find(named.trim().slice(0, 100));
    if (!tenant) throw new AppError(404, 'auth.unknown_tenant', { tenant: named.trim().slice(0, 100) });
    request.tenantId = tenant.id;
  };
}
