/** Operations endpoints: liveness, readiness, metrics and the OpenAPI document. No auth. */
import '@fastify/swagger';
import { Type } from 'typebox';
import type { AppContext } from '../context';
import { pendingMigrations } from '../db/migrate';
import { AppError } from '../shared/errors';
import type { Api } from './types';

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
        pending = await pendingMigrations(ctx.db);
      } catch {
        throw new AppError(503, 'server.unavailable', { reason: 'database unreachable' });
      }
      if (pending.length > 0) throw new AppError(503, 'server.unavailable', { reason: `${pending.length} migrations pending` });
      return { status: 'ready' };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
