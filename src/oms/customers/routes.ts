import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, Limit, Name, Page, problemResponses, Timestamp, Uuid, Nullable } from '../../http/schemas';
import type { Api } from '../../http/types';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Address = Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Object({}, { additionalProperties: true })]);

const Customer = Type.Object({
  id: Uuid,
  name: Type.String(),
  email: Type.String(),
  address: Nullable(Address),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function customerRoutes(app: Api, ctx: AppContext): void {
  const tags = ['customers'];
  const customers = ctx.oms.customers;

  app.post(
    '/customers',
    {
      schema: {
        tags,
        summary: 'Create a customer (one per e-mail address)',
        body: Type.Object({ name: Name, email: Email, address: Type.Optional(Address) }, { additionalProperties: false }),
        response: { 201: Customer, ...problemResponses(409) },
      },
    },
    async (request, reply) => reply.code(201).send(await customers.create(request.tenantId, request.body)),
  );

  app.get(
    '/customers',
    {
      schema: {
        tags,
        summary: 'List customers, or find one by e-mail',
        querystring: Type.Object({ email: Type.Optional(Type.String({ maxLength: 254 })), limit: Limit, cursor: Cursor }, { additionalProperties: false }),
        response: { 200: Page(Customer), ...problemResponses() },
      },
    },
    async (request) => customers.list(request.tenantId, request.query),
  );

  app.get(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'Get a customer',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Customer, ...problemResponses(404) },
      },
    },
    async (request) => customers.get(request.tenantId, request.params.id),
  );
}
