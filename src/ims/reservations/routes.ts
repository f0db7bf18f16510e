/** Reservation routes: reserve all lines or none, read, release, commit. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { problemResponses, CodeOrId } from '../../http/schemas';
import { MAX_RESERVATIONS_PER_BATCH, SETTLE_ACTIONS } from './service';
import { BatchResultsWire, ReservationWire, ShortagesWire } from '../../contracts/inventory-wire';
import type { Api } from '../../http/types';

const OrderId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'The order the stock is held for' });
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });

const Reservation = ReservationWire;

const Insufficient = Type.Object({
  status: Type.Literal('insufficient'),
  code: Type.Literal('inventory.insufficient_stock'),
  order_id: Type.String(),
  shortages: ShortagesWire,
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
    hold_id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'An active hold of exactly these units: they become the reservation (held → reserved). Otherwise it is not used and stock is reserved as usual',
      }),
    ),
    hold_only: Type.Optional(
      Type.Boolean({ description: 'With hold_id: reserve from the hold only; when it is not usable, answer insufficient (no shortages) and reserve nothing' }),
    ),
  },
  { additionalProperties: false },
);

export function reservationRoutes(app: Api, ctx: AppContext): void {
  const tags = ['reservations'];
  const reservations = ctx.ims.settlements;

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
      const result = await ctx.ims.reservations.reserve(request.tenantId, request.body);
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
          200: BatchResultsWire,
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const results = await ctx.ims.reservations.reserveMany(request.tenantId, request.body.reservations);
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
