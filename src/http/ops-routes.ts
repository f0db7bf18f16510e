/** Operations endpoints: liveness, readiness, metrics and the OpenAPI document. No auth. */
import '@fastify/swagger';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from 'typebox';
import type { AppContext } from '../context';
import { pendingMigrations } from '../db/migrate';
import { AppError } from '../shared/errors';
import type { Api } from './types';

const READY_TIMEOUT_MS = 2_000;

export function opsRoutes(app: Api, ctx: AppContext): void {
  const Status = Type.Object({ status: Type.String() });

  app.get(
    '/health',
    {
      schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database is reachable and every migration is applied',
        response: { 200: Status, 503: Type.Ref('Problem') },
      },
    },
    async () => {
      let pending: string[];
      try {
        // A server that stops answering (no reset, no reply) must not hang the probe: 503 after 2 s.
        pending = await Promise.race([
          pendingMigrations(ctx.db),
          sleep(READY_TIMEOUT_MS, undefined, { ref: false }).then(() => Promise.reject(new Error('timeout'))),
        ]);
      } catch {
        throw new AppError(503, 'server.unavailable', { reason: 'database unreachable' });
      }
      if (pending.length > 0) throw new AppError(503, 'server.unavailable', { reason: `${pending.length} migrations pending` });
      const unhealthy = ctx.db.health?.();
      if (unhealthy) throw new AppError(503, 'server.unavailable', { reason: unhealthy });
      return { status: 'ready' };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
