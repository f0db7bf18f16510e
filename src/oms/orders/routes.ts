/** Order routes: create, list, get, lifecycle, delete, stats. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, Limit, Name, OptionalBody, problemResponses, CodeOrId, splitList, Timestamp, Uuid, Nullable, Page } from '../../http/schemas';
import type { Api } from '../../http/types';
import { Address, Email } from '../customers/routes';
import { ORDER_STATUSES, USER_TARGETS } from './lifecycle';
import { Delivery, OrderReturn } from '../fulfilment/schemas';

const UUID_TEXT = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const Money = Type.String({ pattern: '^\\d+\\.\\d{2}$', examples: ['19.90'] });
const Reference = Type.String({ pattern: '^[A-Za-z0-9._:/#-]{1,64}$', description: "The tenant's own order number" });

const Shortage = Type.Object({
  sku: Type.String(),
  hub: Type.Optional(Type.String({ description: 'Absent for a line to be allocated: available then counts every hub' })),
  requested: Type.Integer({ description: 'Units the order asks for' }),
  available: Type.Integer({ description: 'Units available at the hub when the order was last tried' }),
});
const Shortages = Type.Array(Shortage, {
  description:
    'On an order waiting for stock (status on_hold, status_reason insufficient_stock): each line short. ' +
    'The order is retried by itself, oldest first, whenever stock for one of its lines rises at its hub.',
});

const Order = Type.Object({
  id: Uuid,
  reference: Type.String(),
  tenant_id: Uuid,
  seller: Type.Optional(Type.String()),
  hub: Type.Optional(Type.String({ description: 'The default hub of the lines; absent: allocated when the order is finalized' })),
  customer: Type.Optional(
    Type.Object({ id: Uuid, name: Type.String(), email: Type.String() }, { description: 'Absent on a CSV order whose file names no customer' }),
  ),
  items: Type.Array(
    Type.Object({
      sku: Type.String(),
      name: Type.Optional(Type.String()),
      quantity: Type.Integer(),
      unit_price: Money,
      hub: Type.Optional(Type.String({ description: "The line's own hub" })),
    }),
  ),
  total_amount: Money,
  currency: Type.String(),
  shipping_address: Type.Optional(Address),
  order_date: Timestamp,
  status: Type.Enum([...ORDER_STATUSES]),
  status_reason: Type.Optional(
    Type.String({
      description:
        'Why the order is in its status: insufficient_stock (waiting for stock, or cancelled for the lack of it), unknown_item, or the reason given when it was cancelled',
    }),
  ),
  shortages: Type.Optional(Shortages),
  source: Type.Enum(['api', 'csv']),
  upload_id: Type.Optional(Uuid),
  hold_id: Type.Optional(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  deliveries: Type.Optional(Type.Array(Delivery, { description: 'On GET /orders/:id: what leaves each hub' })),
});

const CreateOrder = Type.Object(
  {
    reference: Type.Optional(Reference),
    customer_id: Type.Optional(Uuid),
    customer: Type.Optional(Type.Object({ name: Name, email: Email }, { additionalProperties: false })),
    hub: Type.Optional(CodeOrId),
    seller: Type.Optional(CodeOrId),
    items: Type.Array(
      Type.Object(
        {
          sku: CodeOrId,
          hub: Type.Optional(CodeOrId),
          quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          unit_price: Type.Optional(
            Type.Union([Type.Number({ minimum: 0 }), Type.String({ maxLength: 20 })], { description: 'Decimal ≥ 0, at most 2 places' }),
          ),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
    shipping_address: Type.Optional(Address),
    order_date: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })])),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    hold_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          "An active hold of exactly the order's units (POST /holds): they become its reservation at once, with no moment where another order could take them",
      }),
    ),
  },
  { additionalProperties: false },
);

export const OrderParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Reason = Type.Optional(Type.String({ minLength: 1, maxLength: 500 }));

const OrderFilter = Type.Object(
  {
    status: Type.Optional(Type.Enum([...ORDER_STATUSES])),
    seller: Type.Optional(CodeOrId),
    hub: Type.Optional(CodeOrId),
    customer_id: Type.Optional(Uuid),
    reference: Type.Optional(Type.String({ maxLength: 64 })),
    ids: Type.Optional(Type.String({ maxLength: 3700, pattern: `^${UUID_TEXT}(,${UUID_TEXT}){0,99}$`, description: 'Up to 100 order ids, comma-separated' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'created_at ≥ from' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'created_at < to' })),
    limit: Limit,
    cursor: Cursor,
  },
  { additionalProperties: false },
);

const OrderHistory = Type.Object({
  data: Type.Array(
    Type.Object({
      event_id: Uuid,
      type: Type.String(),
      occurred_at: Timestamp,
      status: Nullable(Type.String()),
      previous_status: Nullable(Type.String()),
      status_reason: Nullable(Type.String()),
      shortages: Nullable(Shortages),
      allocation: Nullable(
        Type.Array(Type.Object({ sku: Type.String(), hub: Type.String(), quantity: Type.Integer(), reason: Type.String() }), {
          description: 'On the event that reserved the order: where each line ships from, and why (requested, single_hub, priority)',
        }),
      ),
      delivery: Nullable(Delivery),
      return: Nullable(OrderReturn),
    }),
  ),
});

const Counts = Type.Record(Type.String(), Type.Integer());
const Stats = Type.Object({
  orders_by_status: Counts,
  orders_by_hour: Type.Array(Type.Object({ hour: Timestamp, orders: Type.Integer() }), {
    description: 'Orders created in each of the last 24 hours, oldest first',
  }),
  uploads_by_status: Counts,
  skus: Type.Integer(),
  units_on_hand: Type.Integer(),
  units_reserved: Type.Integer(),
  units_held: Type.Integer({ description: 'Units under active holds' }),
});

export function orderRoutes(app: Api, ctx: AppContext): void {
  const tags = ['orders'];
  const orders = ctx.oms.orders;

  app.post(
    '/orders',
    {
      // An Idempotency-Key's answer is stored with the order, in its group commit.
      config: { idempotent: 'stored-with-work' },
      schema: {
        tags,
        summary: 'Create an order (status on_hold until its stock is reserved; new_order at once when placed from a hold)',
        body: CreateOrder,
        response: { 201: Order, ...problemResponses(409) },
      },
    },
    async (request, reply) =>
      ctx.idempotency.replayTaken(request, reply, async () => reply.code(201).send(await orders.create(request.tenantId, request.body, request.idempotency))),
  );

  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'List orders, newest first',
        querystring: OrderFilter,
        response: { 200: Page(Order), ...problemResponses() },
      },
    },
    async (request) => orders.list(request.tenantId, { ...request.query, ids: splitList(request.query.ids) }),
  );

  app.get(
    '/orders/:id',
    {
      schema: { tags, summary: 'Get an order', params: OrderParams, response: { 200: Order, ...problemResponses(404) } },
    },
    async (request) => orders.get(request.tenantId, request.params.id),
  );

  app.get(
    '/orders/:id/history',
    {
      schema: {
        tags,
        summary: "An order's history: its events, oldest first, with the status each one left it in",
        params: OrderParams,
        response: { 200: OrderHistory, ...problemResponses(404) },
      },
    },
    async (request) => orders.history(request.tenantId, request.params.id),
  );

  app.post(
    '/orders/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an order (a reserved one gives its stock back)',
        params: OrderParams,
        body: OptionalBody(Type.Object({ reason: Reason }, { additionalProperties: false })),
        response: { 200: Order, ...problemResponses(404, 409) },
      },
    },
    async (request) => orders.transition(request.tenantId, request.params.id, 'cancelled', request.body?.reason ?? null),
  );

  app.put(
    '/orders/:id/status',
    {
      schema: {
        tags,
        summary: 'Move an order along its lifecycle (shipped commits its stock)',
        params: OrderParams,
        body: Type.Object({ status: Type.Enum([...USER_TARGETS]), reason: Reason }, { additionalProperties: false }),
        response: { 200: Order, ...problemResponses(404, 409) },
      },
    },
    async (request) => orders.transition(request.tenantId, request.params.id, request.body.status, request.body.reason ?? null),
  );

  app.delete(
    '/orders/:id',
    {
      schema: { tags, summary: 'Delete an on_hold or cancelled order', params: OrderParams, response: { 204: Type.Null(), ...problemResponses(404, 409) } },
    },
    async (request, reply) => {
      await orders.remove(request.tenantId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/stats',
    {
      schema: {
        tags,
        summary: "The tenant's order and stock totals",
        response: { 200: Stats, ...problemResponses() },
      },
    },
    async (request) => {
      const [stats, uploads_by_status] = await Promise.all([orders.stats(request.tenantId), ctx.oms.uploads.countByStatus(request.tenantId)]);
      return { ...stats, uploads_by_status };
    },
  );
}
