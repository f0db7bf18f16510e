/** Deliveries and returns of an order: list, ship (whole or in part), deliver, return. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { CodeOrId, OptionalBody, problemResponses } from '../../http/schemas';
import type { Api } from '../../http/types';
import { RETURN_DISPOSITIONS } from '../orders/model';
import { OrderParams } from '../orders/routes';
import { Delivery, OrderReturn } from './schemas';

const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 64 }), delivery_id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const Units = Type.Object({ sku: CodeOrId, quantity: Quantity }, { additionalProperties: false });

export function fulfilmentRoutes(app: Api, ctx: AppContext): void {
  const tags = ['deliveries'];
  const fulfilment = ctx.oms.fulfilment;

  app.get(
    '/orders/:id/deliveries',
    {
      schema: {
        tags,
        summary: "An order's deliveries: one per hub once it is reserved, and one more per partial shipment",
        params: OrderParams,
        response: { 200: Type.Object({ data: Type.Array(Delivery) }), ...problemResponses(404) },
      },
    },
    async (request) => ({ data: await fulfilment.deliveries(request.tenantId, request.params.id) }),
  );

  app.post(
    '/orders/:id/deliveries/:delivery_id/ship',
    {
      schema: {
        tags,
        summary:
          'Ship a pending delivery: whole, or only `items` (they leave in a new shipped delivery; the rest stays pending). Shipping a shipped delivery changes nothing.',
        params: DeliveryParams,
        body: OptionalBody(
          Type.Object(
            {
              tracking_number: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
              items: Type.Optional(Type.Array(Units, { minItems: 1, maxItems: 500 })),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Delivery, ...problemResponses(404, 409) },
      },
    },
    async (request) => fulfilment.ship(request.tenantId, request.params.id, request.params.delivery_id, request.body ?? {}),
  );

  app.post(
    '/orders/:id/deliveries/:delivery_id/deliver',
    {
      schema: {
        tags,
        summary: 'Mark a shipped delivery delivered (a delivered one answers as it is)',
        params: DeliveryParams,
        response: { 200: Delivery, ...problemResponses(404, 409) },
      },
    },
    async (request) => fulfilment.deliver(request.tenantId, request.params.id, request.params.delivery_id),
  );

  app.get(
    '/orders/:id/returns',
    {
      schema: {
        tags,
        summary: "An order's returns, oldest first",
        params: OrderParams,
        response: { 200: Type.Object({ data: Type.Array(OrderReturn) }), ...problemResponses(404) },
      },
    },
    async (request) => ({ data: await fulfilment.returns(request.tenantId, request.params.id) }),
  );

  app.post(
    '/orders/:id/returns',
    {
      schema: {
        tags,
        summary: 'Take delivered units back: restock puts them on hand at the hub they shipped from; damaged only records them',
        params: OrderParams,
        body: Type.Object(
          {
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            items: Type.Array(
              Type.Object({ sku: CodeOrId, quantity: Quantity, disposition: Type.Enum([...RETURN_DISPOSITIONS]) }, { additionalProperties: false }),
              {
                minItems: 1,
                maxItems: 500,
              },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: OrderReturn, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await fulfilment.receiveReturn(request.tenantId, request.params.id, request.body)),
  );
}
