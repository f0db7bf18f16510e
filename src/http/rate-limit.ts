/**
 * Requests per API key per window (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_SECONDS), by
 * @fastify/rate-limit: 429 with Retry-After beyond it. Counted after authentication, per key
 * (by its digest: keys are never kept), in Redis when REDIS_URL is set so that every process
 * shares the count, else per process. When Redis does not answer, requests are served, not refused.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { AppContext } from '../context';
import { AppError } from '../shared/errors';
import type { Api } from './types';

export async function registerRateLimit(api: Api, ctx: AppContext): Promise<void> {
  const { rateLimitMax: max, rateLimitWindowSeconds: seconds } = ctx.config.limits;
  if (max === 0) return;
  const redis = ctx.config.redisUrl ? new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 1000, enableOfflineQueue: false }) : undefined;
  // Without a listener, a Redis that goes away is an unhandled 'error' event; it reconnects by itself.
  redis?.on('error', () => {});
  if (redis) api.addHook('onClose', async () => void (await redis.quit().catch(() => undefined)));
  await api.register(rateLimit, {
    max,
    timeWindow: seconds * 1000,
    hook: 'preHandler', // after the auth hook: the key is known and valid
    keyGenerator: (request) =>
      createHash('sha256')
        .update(request.apiKey || request.ip)
        .digest('base64url')
        .slice(0, 22),
    ...(redis ? { redis, nameSpace: 'oms:rate-limit:' } : {}),
    skipOnError: true,
    errorResponseBuilder: () => new AppError(429, 'request.rate_limited', { max, seconds }),
  });
}
