/** CRUD routes of sellers, categories, hubs and SKUs: one definition, four resources. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Code, IdParams, ListQuery, Name, Page, problemResponses, CodeOrId, splitList, Timestamp, Uuid, Nullable } from '../../http/schemas';
import type { Api } from '../../http/types';
import { CATALOG, type CatalogCreate, type CatalogKind, type CatalogPatch } from './resources';

const Attributes = Type.Object({}, { additionalProperties: true, description: 'Free-form attributes' });

function schemasOf(kind: CatalogKind) {
  const base = { id: Uuid, code: Type.String(), name: Type.String(), created_at: Timestamp, updated_at: Timestamp };
  if (kind === 'hub') {
    const Priority = Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Allocation tries hubs in this order, lower first (default 100)' });
    return {
      item: Type.Object({ ...base, priority: Type.Integer() }),
      create: Type.Object({ code: Code, name: Name, priority: Type.Optional(Priority) }, { additionalProperties: false }),
      patch: Type.Object({ code: Type.Optional(Code), name: Type.Optional(Name), priority: Type.Optional(Priority) }, { additionalProperties: false }),
    };
  }
  if (kind !== 'sku') {
    return {
      item: Type.Object(base),
      create: Type.Object({ code: Code, name: Name }, { additionalProperties: false }),
      patch: Type.Object({ code: Type.Optional(Code), name: Type.Optional(Name) }, { additionalProperties: false }),
    };
  }
  const skuRefs = {
    seller_id: Type.Optional(Nullable(CodeOrId, { description: 'Seller code or id' })),
    category_id: Type.Optional(Nullable(CodeOrId, { description: 'Category code or id' })),
    attributes: Type.Optional(Nullable(Attributes)),
  };
  return {
    item: Type.Object({
      ...base,
      seller_id: Nullable(Uuid),
      category_id: Nullable(Uuid),
      attributes: Nullable(Attributes),
    }),
    create: Type.Object({ code: Code, name: Name, ...skuRefs }, { additionalProperties: false }),
    patch: Type.Object({ code: Type.Optional(Code), name: Type.Optional(Name), ...skuRefs }, { additionalProperties: false }),
  };
}

export function catalogRoutes(app: Api, ctx: AppContext): void {
  const catalog = ctx.ims.catalog;
  for (const { kind, path, label } of Object.values(CATALOG)) {
    const schemas = schemasOf(kind);
    const tags = ['catalog'];

    app.post(
      `/${path}`,
      {
        schema: { tags, summary: `Create a ${label}`, body: schemas.create, response: { 201: schemas.item, ...problemResponses(409) } },
      },
      async (request, reply) => reply.code(201).send(await catalog.create(request.tenantId, kind, request.body as CatalogCreate)),
    );

    app.get(
      `/${path}`,
      {
        schema: {
          tags,
          summary: `List ${path} (filter by ids or codes)`,
          querystring: ListQuery,
          response: { 200: Page(schemas.item), ...problemResponses() },
        },
      },
      async (request) =>
        catalog.list(request.tenantId, kind, {
          ids: splitList(request.query.ids),
          codes: splitList(request.query.codes),
          cursor: request.query.cursor,
          limit: request.query.limit,
        }),
    );

    app.get(
      `/${path}/:id`,
      {
        schema: { tags, summary: `Get a ${label} by id or code`, params: IdParams, response: { 200: schemas.item, ...problemResponses(404) } },
      },
      async (request) => catalog.get(request.tenantId, kind, request.params.id),
    );

    app.patch(
      `/${path}/:id`,
      {
        schema: {
          tags,
          summary: `Change a ${label}`,
          params: IdParams,
          body: schemas.patch,
          response: { 200: schemas.item, ...problemResponses(404, 409) },
        },
      },
      async (request) => catalog.update(request.tenantId, kind, request.params.id, request.body as CatalogPatch),
    );

    app.delete(
      `/${path}/:id`,
      {
        schema: {
          tags,
          summary: `Delete a ${label}` + (kind === 'hub' || kind === 'sku' ? ' (409 while it holds stock or reservations)' : ''),
          params: IdParams,
          response: { 204: Type.Null(), ...problemResponses(404, 409) },
        },
      },
      async (request, reply) => {
        await catalog.remove(request.tenantId, kind, request.params.id);
        return reply.code(204).send(null);
      },
    );
  }
}
