/**
 * The inventory contract on the wire (JSON over HTTP), as TypeBox schemas: the IMS's routes
 * answer with them (and their OpenAPI document says so), and the HTTP inventory client checks
 * every answer it decodes against them before the OMS sees it.
 */
import { Type, type TSchema } from 'typebox';

const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ReservationWire = Type.Object({
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

export const ShortagesWire = Type.Array(
  Type.Object({
    sku: Type.String(),
    hub: Type.Optional(Type.String({ description: 'Absent for a line without a hub: available counts every hub' })),
    requested: Type.Integer(),
    available: Type.Integer(),
  }),
);

/** One order's outcome in a batch reservation's answer. */
export const BatchResultWire = Type.Object({
  order_id: Type.String(),
  status: Type.Enum(['reserved', 'insufficient']),
  replayed: Type.Boolean(),
  reservation: Type.Optional(ReservationWire),
  shortages: Type.Optional(ShortagesWire),
});

export const BatchResultsWire = Type.Object({ results: Type.Array(BatchResultWire) });

/** A page of catalog look-ups (hubs, SKUs, sellers) as the client reads it. */
export const CatalogPageWire = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      code: Type.String(),
      name: Type.String(),
      seller_id: Type.Optional(Nullable(Type.String())),
      category_id: Type.Optional(Nullable(Type.String())),
    }),
  ),
});

export const TenantWire = Type.Object({
  id: Type.String(),
  code: Type.String(),
  settings: Type.Object({
    backorder_policy: Type.Enum(['hold', 'cancel']),
    currency: Type.String(),
    allocation: Type.Enum(['single_hub_first', 'priority', 'single_hub_only']),
    hold_expiry_seconds: Type.Integer(),
    hold_expiry_max_seconds: Type.Integer(),
  }),
});

export const StatsWire = Type.Object({ skus: Type.Integer(), units_on_hand: Type.Integer(), units_reserved: Type.Integer(), units_held: Type.Integer() });

export const HoldWire = Type.Object({
  id: Type.String(),
  reference: Nullable(Type.String()),
  status: Type.Enum(['active', 'converted', 'released', 'expired'], {
    description: 'active until the hold becomes an order (converted), is given back (released) or runs out (expired)',
  }),
  expires_at: Timestamp,
  order_id: Nullable(Type.String({ description: 'The order whose reservation the hold became' })),
  lines: Type.Array(
    Type.Object({
      sku: Type.String(),
      sku_id: Type.String(),
      hub: Type.String(),
      hub_id: Type.String(),
      quantity: Type.Integer({ description: 'Units held' }),
      allocation: Nullable(Type.Enum(['requested', 'single_hub', 'priority'])),
    }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});
