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

/** A counting semaphore per tenant, with a bounded first-come queue. */
export class TenantConcurrency {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(
    private readonly concurrent: number,
    private readonly queued: number,
  ) {}

  /** Waits for one of the tenant's slots; throws 429 when its queue is full. Answers the release. */
  async acquire(tenantId: string, reply: FastifyReply): Promise<() => void> {
    let slots = this.tenants.get(tenantId);
    if (!slots) this.tenants.set(tenantId, (slots = { running: 0, waiting: [] }));
    if (slots.running >= this.concurrent) {
      if (slots.waiting.length >= this.queued) throw tooManyRequests(reply, 'request.tenant_busy', 1000);
      await new Promise<void>((resolve) => slots.waiting.push(resolve));
    } else {
      slots.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.waiting.shift();
      if (next) return next(); // the slot passes straight to the next request in line
      slots.running--;
      if (slots.running === 0) this.tenants.delete(tenantId);
    };
  }
}
