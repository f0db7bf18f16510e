import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, IdParams, Limit, OptionalBody, Page, problemResponses, Timestamp, Uuid, Nullable } from '../../http/schemas';
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
      schema: { tags, summary: 'Delete an endpoint with its delivery log', params: IdParams, response: { 204: Type.Null(), ...problemResponses(404) } },
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

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

const Delivery = Type.Object({
  id: Uuid,
  endpoint_id: Uuid,
  event_id: Uuid,
  event_type: Type.String(),
  status: DeliveryStatus,
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

const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 64 }), delivery_id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

export function deliveryRoutes(app: Api, ctx: AppContext): void {
  const tags = ['webhooks'];
  const log = ctx.oms.deliveries;

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: "An endpoint's deliveries, newest first",
        params: IdParams,
        querystring: Type.Object(
          {
            status: Type.Optional(DeliveryStatus),
            limit: Limit,
            cursor: Cursor,
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Delivery), ...problemResponses(404) },
      },
    },
    async (request) => log.list(request.tenantId, request.params.id, request.query),
  );

  app.get(
    '/webhooks/:id/deliveries/:delivery_id',
    {
      schema: {
        tags,
        summary: 'One delivery with every attempt (time, status code, latency, error, start of the answer)',
        params: DeliveryParams,
        response: { 200: Type.Intersect([Delivery, Type.Object({ attempt_log: Type.Array(Attempt) })]), ...problemResponses(404) },
      },
    },
    async (request) => log.get(request.tenantId, request.params.id, request.params.delivery_id),
  );

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      schema: {
        tags,
        summary: 'Send a delivery again now (409 while it is pending)',
        params: DeliveryParams,
        response: { 202: Delivery, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => reply.code(202).send(await log.retry(request.tenantId, request.params.id, request.params.delivery_id)),
  );
}
