import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, IdParams, Limit, OptionalBody, Page, problemResponses, Timestamp, Uuid, Nullable } from '../../http/schemas';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from '../../http/types';
import { WEBHOOK_EVENTS } from './endpoints';

const Url = Type.String({ minLength: 1, maxLength: 2048 });
const Events = Type.Array(Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e))), { minItems: 1, maxItems: WEBHOOK_EVENTS.length * 2 });
const Secret = Type.String({ maxLength: 200 });
const Description = Type.String({ maxLength: 500 });

const Endpoint = Type.Object({
  id: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  active: Type.Boolean(),
  disabled_reason: Nullable(Type.String()),
  failing_since: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function webhookRoutes(app: Api, ctx: AppContext): void {
  const tags = ['webhooks'];
  const endpoints = ctx.oms.endpoints;

  app.post(
    '/webhooks',
    {
      // An Idempotency-Key replay would show (and the store would keep) the signing secret: off.
      config: { idempotent: false },
      schema: {
        tags,
        summary: 'Register an endpoint; the signing secret is in this answer only',
        body: Type.Object(
          { url: Url, events: Events, description: Type.Optional(Description), secret: Type.Optional(Secret) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([Endpoint, Type.Object({ secret: Type.String() })]), ...problemResponses() },
      },
    },
    async (request, reply) => reply.code(201).send(await endpoints.create(request.tenantId, request.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'List endpoints',
        querystring: Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false }),
        response: { 200: Page(Endpoint), ...problemResponses() },
      },
    },
    async (request) => endpoints.list(request.tenantId, request.query),
  );

  app.get(
    '/webhooks/:id',
    {
      schema: { tags, summary: 'Get an endpoint', params: IdParams, response: { 200: Endpoint, ...problemResponses(404) } },
    },
    async (request) => endpoints.get(request.tenantId, request.params.id),
  );

  app.put(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change an endpoint; active: true re-enables a disabled one',
        params: IdParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            description: Type.Optional(Nullable(Description)),
            active: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Endpoint, ...problemResponses(404) },
      },
    },
    async (request) => endpoints.update(request.tenantId, request.params.id, request.body),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: { tags, summary: 'Delete an endpoint with its dispatch log', params: IdParams, response: { 204: Type.Null(), ...problemResponses(404) } },
    },
    async (request, reply) => {
      await endpoints.remove(request.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/secrets',
    {
      config: { idempotent: false }, // as above: the answer holds a secret
      schema: {
        tags,
        summary: 'Rotate the signing secret: the new one is in this answer only; the previous ones keep signing for 24 hours',
        params: IdParams,
        body: OptionalBody(Type.Object({ secret: Type.Optional(Secret) }, { additionalProperties: false })),
        response: { 201: Type.Object({ secret: Type.String(), previous_secrets_expire_at: Timestamp }), ...problemResponses(404) },
      },
    },
    async (request, reply) => reply.code(201).send(await endpoints.rotateSecret(request.tenantId, request.params.id, request.body?.secret)),
  );
}

const DispatchStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

const Dispatch = Type.Object({
  id: Uuid,
  endpoint_id: Uuid,
  event_id: Uuid,
  event_type: Type.String(),
  status: DispatchStatus,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Attempt = Type.Object({
  n: Type.Integer(),
  attempted_at: Timestamp,
  status_code: Nullable(Type.Integer()),
  latency_ms: Type.Integer(),
  error: Nullable(Type.String()),
  response_body: Nullable(Type.String()),
});

const DispatchParams = Type.Object({ id: Type.String({ maxLength: 64 }), dispatch_id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

/**
 * An endpoint's dispatches (one event sent to it, with every attempt), at /webhooks/:id/dispatches;
 * also at the old /webhooks/:id/deliveries ("delivery" now means a shipment only), marked
 * deprecated and answered with a Deprecation header naming the path to use.
 */
export function dispatchRoutes(app: Api, ctx: AppContext): void {
  for (const [segment, deprecated] of [
    ['dispatches', false],
    ['deliveries', true],
  ] as const) {
    dispatchRoutesAt(app, ctx, segment, deprecated);
  }
}

/** RFC 9745's Deprecation header: the moment the /deliveries paths were deprecated (2026-12-03), in epoch seconds. */
const DEPRECATED_SINCE = '@1796256000';

/** On the deprecated paths: when they were deprecated, and the path to use instead. */
async function announceSuccessor(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('deprecation', DEPRECATED_SINCE);
  reply.header('link', `<${request.url.replace('/deliveries', '/dispatches')}>; rel="successor-version"`);
}

function dispatchRoutesAt(app: Api, ctx: AppContext, segment: string, deprecated: boolean): void {
  const tags = ['webhooks'];
  const log = ctx.oms.webhookDispatches;
  const alias = deprecated ? { onSend: announceSuccessor } : {};
  const marks = deprecated ? { deprecated: true } : {};

  app.get(
    `/webhooks/:id/${segment}`,
    {
      ...alias,
      schema: {
        tags,
        ...marks,
        summary: "An endpoint's dispatches, newest first",
        params: IdParams,
        querystring: Type.Object(
          {
            status: Type.Optional(DispatchStatus),
            limit: Limit,
            cursor: Cursor,
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Dispatch), ...problemResponses(404) },
      },
    },
    async (request) => log.list(request.tenantId, request.params.id, request.query),
  );

  app.get(
    `/webhooks/:id/${segment}/:dispatch_id`,
    {
      ...alias,
      schema: {
        tags,
        ...marks,
        summary: 'One dispatch with every attempt (time, status code, latency, error, start of the answer)',
        params: DispatchParams,
        response: { 200: Type.Intersect([Dispatch, Type.Object({ attempt_log: Type.Array(Attempt) })]), ...problemResponses(404) },
      },
    },
    async (request) => log.get(request.tenantId, request.params.id, request.params.dispatch_id),
  );

  app.post(
    `/webhooks/:id/${segment}/:dispatch_id/retry`,
    {
      ...alias,
      schema: {
        tags,
        ...marks,
        summary: 'Send a dispatch again now (409 while it is pending)',
        params: DispatchParams,
        response: { 202: Dispatch, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await log.retry(request.tenantId, request.params.id, request.params.dispatch_id, deprecated ? 'webhook.delivery_pending' : undefined)),
  );
}
