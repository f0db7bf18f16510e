/** Inventory routes: counts and adjustments, levels, the audit trail and the reconciliation. */
import { Type } from 'typebox';
import type { AppContext } from '../../context';
import { Cursor, Limit, Page, problemResponses, CodeOrId, splitList, Timestamp, Uuid, Nullable } from '../../http/schemas';
import type { Api } from '../../http/types';
import { MAX_UNITS, type StockUpdate } from './service';

const Units = (description: string, min = 0) => Type.Integer({ minimum: min, maximum: MAX_UNITS, description });

const Update = Type.Object(
  {
    hub: CodeOrId,
    sku: CodeOrId,
    on_hand: Type.Optional(Units('Counted units on hand (a count); exclusive with delta')),
    delta: Type.Optional(Type.Integer({ minimum: -MAX_UNITS, maximum: MAX_UNITS, description: 'Units received (+) or written off (−)' })),
    expected_on_hand: Type.Optional(Units('Compare-and-swap guard: apply only if on_hand is still this (else 409)')),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

const Level = Type.Object({
  hub: Type.String(),
  sku: Type.String(),
  on_hand: Type.Integer(),
  reserved: Type.Integer({ description: 'Units reserved for orders' }),
  held: Type.Integer({ description: 'Units under active holds (carts, checkouts)' }),
  available: Type.Integer({ description: 'on_hand − reserved − held' }),
});

const Transaction = Type.Object({
  id: Uuid,
  hub: Type.String(),
  sku: Type.String(),
  delta_on_hand: Type.Integer(),
  delta_reserved: Type.Integer(),
  delta_held: Type.Integer(),
  on_hand_after: Type.Integer(),
  reserved_after: Type.Integer(),
  held_after: Type.Integer(),
  reason: Type.String({
    description: 'count, adjustment, reserve, release, commit, return (restocked units), hold, hold_changed, hold_released, hold_expired or hold_converted',
  }),
  order_id: Nullable(Type.String()),
  operation_id: Nullable(Type.String({ description: 'The delivery shipped or cancelled, or the return, that made the change' })),
  hold_id: Nullable(Type.String({ description: 'The hold whose units moved' })),
  created_at: Timestamp,
});

const Mismatch = Type.Object({
  hub: Type.String(),
  sku: Type.String(),
  on_hand: Type.Integer(),
  ledger_on_hand: Type.Integer(),
  reserved: Type.Integer(),
  ledger_reserved: Type.Integer(),
  held: Type.Integer(),
  ledger_held: Type.Integer(),
});

export function stockRoutes(app: Api, ctx: AppContext): void {
  const tags = ['inventory'];
  const stock = ctx.ims.stock;

  app.put(
    '/inventory',
    {
      schema: {
        tags,
        summary: 'Set (on_hand) or adjust (delta) stock levels; an array of up to 1000 applies all-or-nothing',
        body: Type.Union([Update, Type.Array(Update, { minItems: 1, maxItems: 1000 })]),
        response: { 200: Type.Union([Level, Type.Object({ data: Type.Array(Level) })]), ...problemResponses(409) },
      },
    },
    async (request) => {
      const batch = Array.isArray(request.body);
      const updates = (batch ? request.body : [request.body]) as StockUpdate[];
      const levels = await stock.put(request.tenantId, updates, batch);
      return batch ? { data: levels } : levels[0]!;
    },
  );

  app.get(
    '/inventory',
    {
      schema: {
        tags,
        summary: 'Stock levels at a hub: the SKUs asked for (zeros where none is stocked), or every SKU by page',
        querystring: Type.Object(
          {
            hub: CodeOrId,
            skus: Type.Optional(Type.String({ maxLength: 20000, description: 'SKU codes or ids, comma-separated (at most 500)' })),
            limit: Limit,
            cursor: Cursor,
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Level), ...problemResponses() },
      },
    },
    async (request) => {
      const skus = splitList(request.query.skus);
      return stock.levels(request.tenantId, { ...request.query, skus: skus?.slice(0, 500) });
    },
  );

  app.get(
    '/inventory/transactions',
    {
      schema: {
        tags,
        summary: 'The audit trail of stock changes, newest first',
        querystring: Type.Object(
          {
            hub: Type.Optional(CodeOrId),
            sku: Type.Optional(CodeOrId),
            order_id: Type.Optional(Type.String({ maxLength: 128 })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Limit,
            cursor: Cursor,
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Transaction), ...problemResponses() },
      },
    },
    async (request) => stock.transactions(request.tenantId, request.query),
  );

  app.get(
    '/inventory/summary',
    {
      schema: {
        tags,
        summary: "Totals of the tenant's stock: SKUs, units on hand, units reserved",
        response: {
          200: Type.Object({ skus: Type.Integer(), units_on_hand: Type.Integer(), units_reserved: Type.Integer(), units_held: Type.Integer() }),
          ...problemResponses(),
        },
      },
    },
    async (request) => stock.stats(request.tenantId),
  );

  app.get(
    '/inventory/reconcile',
    {
      schema: {
        tags,
        summary: 'Proves every stock level equals the sum of its audit trail (mismatches should be empty)',
        response: { 200: Type.Object({ mismatches: Type.Array(Mismatch) }), ...problemResponses() },
      },
    },
    async (request) => stock.reconcile(request.tenantId),
  );
}
