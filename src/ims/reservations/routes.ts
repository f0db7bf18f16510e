/** Reservation routes: reserve all lines or none, read, release, commit. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { problemResponses, CodeOrId, Timestamp, Nullable } from '../../http/schemas';
import { MAX_RESERVATIONS_PER_BATCH, SETTLE_ACTIONS } from './service';
import type { Api } from '../../http/types';

const OrderId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'The order the stock is held for' });
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });

const Reservation = Type.Object({
  order_id: Type.String(),
  hub: Type.Optional(Type.String({ description: 'Present when every line is held at one hub' })),
  status: Type.Enum(['reserved', 'released', 'committed'], { description: 'reserved while any unit is held' }),
  items: Type.Array(
    Type.Object({
      sku: Type.String(),
      sku_id: Type.String(),
      hub: Type.String(),
      hub_id: Type.String(),
      quantity: Type.Integer({ description: 'Units reserved' }),
      allocation: Nullable(
        Type.Enum(['requested', 'single_hub', 'priority'], {
          description: 'Why the units are held at this hub: the request named it, one hub could ship every line without a hub, or the hubs by priority',
        }),
      ),
      committed: Type.Integer({ description: 'Units shipped' }),
      released: Type.Integer({ description: 'Units given back' }),
    }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Insufficient = Type.Object({
  status: Type.Literal('insufficient'),
  code: Type.Literal('inventory.insufficient_stock'),
  order_id: Type.String(),
  shortages: Type.Array(
    Type.Object({
      sku: Type.String(),
      hub: Type.Optional(Type.String({ description: 'Absent for a line without a hub: available counts every hub' })),
      requested: Type.Integer(),
      available: Type.Integer(),
    }),
  ),
});

const OrderParams = Type.Object({ order_id: OrderId }, { additionalProperties: false });

/** One order's reservation, alone (POST /reservations) or in a batch. */
const ReserveRequest = Type.Object(
  {
    order_id: OrderId,
    hub: Type.Optional(CodeOrId),
    items: Type.Array(Type.Object({ sku: CodeOrId, quantity: Quantity, hub: Type.Optional(CodeOrId) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
);

export function reservationRoutes(app: Api, ctx: AppContext): void {
  const tags = ['reservations'];
  const reservations = ctx.ims.reservations;

  app.post(
    '/reservations',
    {
      config: { grouped: true },
      schema: {
        tags,
        summary: 'Reserve every line or none; repeating it for the same order_id answers the first outcome',
        body: ReserveRequest,
        response: { 200: Reservation, 409: Type.Union([Insufficient, Type.Ref('Problem')]), ...problemResponses() },
      },
    },
    async (request, reply) => {
      const result = await ctx.ims.batchReservations.reserve(request.tenantId, request.body);
      if (result.outcome === 'insufficient') {
        return reply.code(409).send({
          status: 'insufficient',
          code: 'inventory.insufficient_stock',
          order_id: result.order_id,
          shortages: result.shortages,
        });
      }
      return result.reservation;
    },
  );

  app.post(
    '/reservations/batch',
    {
      schema: {
        tags,
        summary: 'Reserve many orders at once, oldest (first) first, each all lines or none',
        body: Type.Object({ reservations: Type.Array(ReserveRequest, { minItems: 1, maxItems: MAX_RESERVATIONS_PER_BATCH }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                order_id: Type.String(),
                status: Type.Enum(['reserved', 'insufficient']),
                replayed: Type.Boolean(),
                reservation: Type.Optional(Reservation),
                shortages: Type.Optional(Insufficient.properties.shortages),
              }),
            ),
          }),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const results = await ctx.ims.batchReservations.reserveMany(request.tenantId, request.body.reservations);
      return {
        results: results.map((r) =>
          r.outcome === 'insufficient'
            ? { order_id: r.order_id, status: 'insufficient' as const, replayed: false, shortages: r.shortages }
            : { order_id: r.reservation.order_id, status: 'reserved' as const, replayed: r.outcome === 'replayed', reservation: r.reservation },
        ),
      };
    },
  );

  app.get(
    '/reservations/:order_id',
    {
      schema: { tags, summary: "An order's reservation", params: OrderParams, response: { 200: Reservation, ...problemResponses(404) } },
    },
    async (request) => reservations.get(request.tenantId, request.params.order_id),
  );

  app.delete(
    '/reservations/:order_id',
    {
      schema: {
        tags,
        summary: 'Release the reservation (idempotent)',
        params: OrderParams,
        response: { 204: Type.Null(), ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await reservations.release(request.tenantId, request.params.order_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/reservations/:order_id/commit',
    {
      schema: {
        tags,
        summary: 'Ship the reserved units: on_hand and reserved both drop (idempotent)',
        params: OrderParams,
        response: { 200: Reservation, ...problemResponses(404, 409) },
      },
    },
    async (request) => reservations.commit(request.tenantId, request.params.order_id),
  );

  app.post(
    '/reservations/:order_id/settlements',
    {
      schema: {
        tags,
        summary: 'Commit or release some held units, or restock returned ones, as one operation (idempotent by operation_id)',
        params: OrderParams,
        body: Type.Object(
          {
            operation_id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'Names the operation: a repeat changes nothing' }),
            action: Type.Enum([...SETTLE_ACTIONS]),
            items: Type.Array(Type.Object({ hub: CodeOrId, sku: CodeOrId, quantity: Quantity }, { additionalProperties: false }), {
              minItems: 1,
              maxItems: 1000,
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Reservation, 204: Type.Null(), ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const reservation = await reservations.settle(request.tenantId, request.params.order_id, request.body);
      return reservation ?? reply.code(204).send(null);
    },
  );
}
