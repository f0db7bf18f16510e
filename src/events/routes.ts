/** Admin routes over the event log's dead letters. */
import { Type } from 'typebox';
import type { AppContext } from '../context';
import { Cursor, IdParams, Limit, Page, problemResponses, Timestamp, Uuid, Nullable } from '../http/schemas';
import type { Api } from '../http/types';

const DeadLetter = Type.Object({
  id: Uuid,
  consumer: Type.String(),
  event: Type.Object({
    id: Uuid,
    type: Type.String(),
    tenant_id: Uuid,
    occurred_at: Timestamp,
    data: Type.Object({}, { additionalProperties: true }),
  }),
  attempts: Type.Integer(),
  error: Type.String(),
  created_at: Timestamp,
  retried_at: Nullable(Timestamp),
});

export function eventRoutes(app: Api, ctx: AppContext): void {
  const tags = ['events'];
  const config = { access: 'admin' as const };
  const { deadLetters } = ctx;

  app.get(
    '/events/dead-letters',
    {
      config,
      schema: {
        tags,
        summary: 'Events a consumer gave up on after its attempts',
        querystring: Type.Object({ consumer: Type.Optional(Type.String({ maxLength: 100 })), limit: Limit, cursor: Cursor }, { additionalProperties: false }),
        response: { 200: Page(DeadLetter), ...problemResponses() },
      },
    },
    async (request) => deadLetters.list(request.query),
  );

  app.post(
    '/events/dead-letters/:id/retry',
    {
      config: { ...config, idempotent: false },
      schema: {
        tags,
        summary: "Run the consumer's handler on the event once more",
        params: IdParams,
        response: { 200: DeadLetter, ...problemResponses(404, 409) },
      },
    },
    async (request) => deadLetters.retry(request.params.id),
  );
}
