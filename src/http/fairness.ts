/**
 * What keeps one client from taking the service from the others, besides the per-key rate limit
 * (@fastify/rate-limit, in app.ts):
 * - a client address that keeps failing authentication is refused for a while (429), before any
 *   key is looked up: guessing keys costs the guesser, not the database;
 * - each tenant has at most `concurrent` requests in progress in this process; more wait in a
 *   first-come queue of at most `queued` (429 beyond). A tenant sending 100 requests at once gets
 *   its turn like everyone else instead of holding every database connection.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { AppError } from '../shared/errors';

const MINUTE_MS = 60_000;

/** 429 with Retry-After (whole seconds, at least 1). */
export function tooManyRequests(reply: FastifyReply, code: 'auth.too_many_failures' | 'request.tenant_busy', retryAfterMs: number): AppError {
  reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return new AppError(429, code);
}

/** Failed authentications per client address, in one-minute windows. */
export class AuthFailureGuard {
  private readonly failures = new LRUCache<string, { count: number; resetAt: number }>({ max: 100_000 });

  constructor(private readonly maxPerMinute: number) {}

  /** Throws 429 while the address is over its allowance. */
  check(request: FastifyRequest, reply: FastifyReply): void {
    const entry = this.failures.get(request.ip);
    if (entry && entry.resetAt > Date.now() && entry.count >= this.maxPerMinute) {
      throw tooManyRequests(reply, 'auth.too_many_failures', entry.resetAt - Date.now());
    }
  }

  failed(request: FastifyRequest): void {
    const now = Date.now();
    const entry = this.failures.get(request.ip);
    if (!entry || entry.resetAt <= now) this.failures.set(request.ip, { count: 1, resetAt: now + MINUTE_MS });
    else entry.count++;
  }
}

interface TenantSlots {
  running: number;
  waiting: (() => void)[];
}

/** The client closed its connection while its request waited for a turn: nothing will read the answer. */
export class ClientGoneError extends Error {
  /** nginx's "client closed request": a 4xx, so it is not logged as a server fault, and no one reads it. */
  readonly statusCode = 499;
  constructor() {
    super('the client closed the connection while its request waited for a turn');
    this.name = 'ClientGoneError';
  }
}

/**
 * A counting semaphore per tenant, with a bounded first-come queue. A slot is held until the
 * response closes, whatever way it ends (sent, failed, or the client gone mid-request): the
 * response's `close` event always comes, where Fastify's onResponse does not for a connection
 * that was cut. A request whose client leaves while it waits gives its place up and never runs.
 */
export class TenantConcurrency {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(
    private readonly concurrent: number,
    private readonly queued: number,
  ) {}

  /** Waits for one of the tenant's slots; throws 429 when its queue is full, ClientGoneError when the client leaves first. */
  acquire(tenantId: string, reply: FastifyReply): Promise<void> {
    const tenant = this.tenants.get(tenantId) ?? { running: 0, waiting: [] };
    this.tenants.set(tenantId, tenant);
    return new Promise<void>((resolve, reject) => {
      let state: 'waiting' | 'running' | 'done' = 'waiting';
      const start = () => {
        state = 'running';
        resolve();
      };
      const closed = () => {
        if (state === 'running') this.pass(tenantId, tenant);
        else if (state === 'waiting') {
          tenant.waiting.splice(tenant.waiting.indexOf(start), 1);
          reject(new ClientGoneError());
        }
        state = 'done';
      };
      if (tenant.running < this.concurrent) {
        tenant.running++;
        start();
      } else if (tenant.waiting.length >= this.queued) {
        return reject(tooManyRequests(reply, 'request.tenant_busy', 1000));
      } else {
        tenant.waiting.push(start);
      }
      reply.raw.once('close', closed);
    });
  }

  /** A slot is free: it passes straight to the next request in line, or the tenant holds one fewer. */
  private pass(tenantId: string, slots: TenantSlots): void {
    const next = slots.waiting.shift();
    if (next) return next();
    slots.running--;
    if (slots.running === 0) this.tenants.delete(tenantId); // nobody waits: `next` would have taken the slot
  }
}
