/** The HTTP shapes of deliveries and returns (orders' routes embed them). */
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas';
import { DELIVERY_STATUSES, RETURN_DISPOSITIONS } from '../orders/model';

export const Delivery = Type.Object({
  id: Uuid,
  order_id: Uuid,
  hub: Type.String(),
  status: Type.Enum([...DELIVERY_STATUSES]),
  items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  tracking_number: Nullable(Type.String()),
  split_from: Nullable(Uuid, { description: 'The pending delivery a partial shipment split this one off' }),
  shipped_at: Nullable(Timestamp),
  delivered_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const OrderReturn = Type.Object({
  id: Uuid,
  order_id: Uuid,
  reason: Nullable(Type.String()),
  items: Type.Array(
    Type.Object({
      sku: Type.String(),
      hub: Type.String({ description: 'The hub the units shipped from (where restocked units go back on hand)' }),
      quantity: Type.Integer(),
      disposition: Type.Enum([...RETURN_DISPOSITIONS]),
    }),
  ),
  created_at: Timestamp,
});
