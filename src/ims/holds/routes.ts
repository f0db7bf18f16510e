/** Hold routes: stock set aside for a cart or a checkout until it expires, is released, or becomes an order. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { CodeOrId, Cursor, Limit, Page, problemResponses } from '../../http/schemas';
import type { Api } from '../../http/types';
import { HoldWire, ShortagesWire } from '../../contracts/inventory-wire';
import { HOLD_STATUSES } from '../../contracts/inventory';
import { MAX_HOLD_SECONDS } from '../tenants/service';

const Items = Type.Array(
  Type.Object(
    {
      sku: CodeOrId,
      quantity: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
      hub: Type.Optional(CodeOrId),
    },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 1000, description: 'Lines naming no hub are placed by the tenant allocation policy, as an order’s are' },
);
const Seconds = Type.Integer({ minimum: 1, maximum: MAX_HOLD_SECONDS, description: "Seconds from now; at most the tenant's hold_expiry_max_seconds" });
const HoldParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

const Insufficient = Type.Intersect([Type.Ref('Problem'), Type.Object({ shortages: ShortagesWire })], {
  description: 'code hold.insufficient_stock: each line stock cannot cover, with what was asked and what is available',
});

export function holdRoutes(app: Api, ctx: AppContext): void {
  const tags = ['holds'];
  const holds = ctx.ims.holds;

  app.post(
    '/holds',
    {
      // Holds of a tenant arriving together share a transaction: they wait in its group's bounded line, not for a tenant turn.
      config: { grouped: true },
      schema: {
        tags,
        summary: 'Hold stock for a cart or checkout: every line or nothing, until it expires',
        body: Type.Object(
          { reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), items: Items, expires_in_seconds: Type.Optional(Seconds) },
          { additionalProperties: false },
        ),
        response: { 201: HoldWire, 409: Type.Union([Insufficient, Type.Ref('Problem')]), ...problemResponses() },
      },
    },
    async (request, reply) => reply.code(201).send(await holds.create(request.tenantId, request.body)),
  );

  app.get(
    '/holds',
    {
      schema: {
        tags,
        summary: 'Holds, newest first',
        querystring: Type.Object({ status: Type.Optional(Type.Enum([...HOLD_STATUSES])), limit: Limit, cursor: Cursor }, { additionalProperties: false }),
        response: { 200: Page(HoldWire), ...problemResponses() },
      },
    },
    async (request) => holds.list(request.tenantId, request.query),
  );

  app.get('/holds/:id', { schema: { tags, summary: 'A hold', params: HoldParams, response: { 200: HoldWire, ...problemResponses(404) } } }, async (request) =>
    holds.get(request.tenantId, request.params.id),
  );

  app.put(
    '/holds/:id/items',
    {
      schema: {
        tags,
        summary: "Replace an active hold's lines: only the difference is taken or given back, all or nothing",
        params: HoldParams,
        body: Type.Object({ items: Items }, { additionalProperties: false }),
        response: { 200: HoldWire, 409: Type.Union([Insufficient, Type.Ref('Problem')]), ...problemResponses(404) },
      },
    },
    async (request) => holds.replaceItems(request.tenantId, request.params.id, request.body.items),
  );

  app.post(
    '/holds/:id/extend',
    {
      schema: {
        tags,
        summary: 'Set an active hold to expire expires_in_seconds from now',
        params: HoldParams,
        body: Type.Object({ expires_in_seconds: Seconds }, { additionalProperties: false }),
        response: { 200: HoldWire, ...problemResponses(404, 409) },
      },
    },
    async (request) => holds.extend(request.tenantId, request.params.id, request.body.expires_in_seconds),
  );

  app.delete(
    '/holds/:id',
    {
      schema: {
        tags,
        summary: 'Release a hold: its units are available again (idempotent; a converted hold is a 409)',
        params: HoldParams,
        response: { 200: HoldWire, ...problemResponses(404, 409) },
      },
    },
    async (request) => holds.release(request.tenantId, request.params.id),
  );
}
