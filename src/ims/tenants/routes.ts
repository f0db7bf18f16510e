/** Admin routes: tenants and their API keys. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Code, Cursor, IdParams, Limit, Name, Page, problemResponses, splitList, Timestamp, Uuid, Nullable } from '../../http/schemas';
import type { Api } from '../../http/types';
import { ALLOCATION_POLICIES } from './repository';
import { MAX_HOLD_SECONDS } from './service';

const SettingsInput = Type.Object(
  {
    backorder_policy: Type.Optional(Type.Enum(['hold', 'cancel'], { description: 'What happens to an order when stock is short' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. USD' })),
    allocation: Type.Optional(
      Type.Enum([...ALLOCATION_POLICIES], {
        description:
          'How lines without a hub are placed: single_hub_first (default: one hub able to ship them all, else split by hub priority), priority (split by hub priority), single_hub_only (never split)',
      }),
    ),
    hold_expiry_seconds: Type.Optional(
      Type.Integer({ minimum: 10, maximum: MAX_HOLD_SECONDS, description: 'How long a hold lasts when its request names no expiry (default 900)' }),
    ),
    hold_expiry_max_seconds: Type.Optional(
      Type.Integer({ minimum: 10, maximum: MAX_HOLD_SECONDS, description: 'The longest expiry a hold may ask for (default 86400)' }),
    ),
  },
  { additionalProperties: false },
);

const Tenant = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  settings: Type.Object({
    backorder_policy: Type.String(),
    currency: Type.String(),
    allocation: Type.String(),
    hold_expiry_seconds: Type.Integer(),
    hold_expiry_max_seconds: Type.Integer(),
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const ApiKey = Type.Object({
  id: Uuid,
  tenant_id: Uuid,
  key_prefix: Type.String(),
  name: Nullable(Type.String()),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
});

const CreatedKey = Type.Object({
  id: Uuid,
  key: Type.String({ description: 'The API key. Shown only in this response; store it now.' }),
  tenant_id: Uuid,
  key_prefix: Type.String(),
  created_at: Timestamp,
});

export function tenantRoutes(app: Api, ctx: AppContext): void {
  const tags = ['tenants'];
  const config = { access: 'admin' as const };
  const tenants = ctx.ims.tenants;

  app.post(
    '/tenants',
    {
      config,
      schema: {
        tags,
        summary: 'Create a tenant',
        body: Type.Object({ code: Code, name: Name, settings: Type.Optional(SettingsInput) }, { additionalProperties: false }),
        response: { 201: Tenant, ...problemResponses(409) },
      },
    },
    async (request, reply) => reply.code(201).send(await tenants.create(request.body)),
  );

  app.get(
    '/tenants',
    {
      config,
      schema: {
        tags,
        summary: 'List tenants',
        querystring: Type.Object(
          {
            limit: Limit,
            cursor: Cursor,
            codes: Type.Optional(Type.String({ maxLength: 20000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Tenant), ...problemResponses() },
      },
    },
    async (request) => tenants.list({ ...request.query, codes: splitList(request.query.codes) }),
  );

  app.get(
    '/tenants/:id',
    {
      config,
      schema: { tags, summary: 'Get a tenant by id or code', params: IdParams, response: { 200: Tenant, ...problemResponses(404) } },
    },
    async (request) => tenants.get(request.params.id),
  );

  app.patch(
    '/tenants/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Change a tenant (settings are merged)',
        params: IdParams,
        body: Type.Object(
          { code: Type.Optional(Code), name: Type.Optional(Name), settings: Type.Optional(SettingsInput) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Tenant, ...problemResponses(404, 409) },
      },
    },
    async (request) => tenants.update(request.params.id, request.body),
  );

  app.post(
    '/tenants/:id/api-keys',
    {
      config: { ...config, idempotent: false }, // a replay would have to store the secret key
      schema: {
        tags,
        summary: 'Issue an API key for a tenant (the key is shown once)',
        params: IdParams,
        response: { 201: CreatedKey, ...problemResponses(404) },
      },
    },
    async (request, reply) => reply.code(201).send(await tenants.createApiKey(request.params.id)),
  );

  app.get(
    '/tenants/:id/api-keys',
    {
      config,
      schema: {
        tags,
        summary: "List a tenant's API keys (never the keys themselves)",
        params: IdParams,
        response: { 200: Type.Object({ data: Type.Array(ApiKey) }), ...problemResponses(404) },
      },
    },
    async (request) => ({ data: await tenants.listApiKeys(request.params.id) }),
  );

  app.delete(
    '/api-keys/:id',
    {
      config,
      schema: { tags, summary: 'Revoke an API key', params: IdParams, response: { 204: Type.Null(), ...problemResponses(404) } },
    },
    async (request, reply) => {
      await tenants.revokeApiKey(request.params.id);
      ctx.auth.forgetRecent();
      return reply.code(204).send(null);
    },
  );
}
