import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';

/** The Fastify instance routes are registered on: TypeBox schemas give handlers typed input. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Who may call a route: anyone, the admin key only, a tenant (its key, or the admin naming it),
 * or a tenant or the admin acting across tenants (then `tenantId` is '').
 */
export type AccessLevel = 'public' | 'admin' | 'tenant' | 'tenant-or-admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessLevel;
    /**
     * POST routes honour Idempotency-Key unless this is false. By default the request runs in a
     * transaction of its own that stores the answer (http/idempotency.ts); 'stored-with-work':
     * the handler passes `request.idempotency` to work that stores the answer in its own
     * transaction (POST /orders: its group commit, so keyed orders are still stored together).
     */
    idempotent?: boolean | 'stored-with-work';
    /**
     * The route's writes go through a group commit (shared/group-commit.ts): its requests wait
     * in the group's own bounded line, not for one of the tenant's turns. A turn bounds the
     * connections one tenant's requests hold; a group holds one at most, for all of them.
     */
    grouped?: boolean;
  }
  interface FastifyRequest {
    /**
     * The tenant this request acts for; set by the auth hook on tenant routes. On a
     * tenant-or-admin route the admin may act for none: read it there with actingTenant().
     */
    tenantId: string;
    /** The API key presented (set once authenticated): the rate limit counts per key. */
    apiKey: string;
    /** The Idempotency-Key this request claims, if any, with the transaction its work and answer commit in. */
    idempotency?: import('../db/idempotency-keys').IdempotencyClaim & { transaction?: import('../db/request-transaction').RequestTransaction };
  }
}

/** The tenant a request acts for, or undefined for the admin acting for none (tenant-or-admin routes). */
export const actingTenant = (request: { tenantId: string }): string | undefined => request.tenantId || undefined;
