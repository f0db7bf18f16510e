/**
 * Schemas shared by every route: problem documents, codes, ids, list queries and pages.
 * The same TypeBox objects validate requests, serialize responses and feed the OpenAPI document.
 */
import { Type, type TSchema } from 'typebox';

export const CODE_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

export const Uuid = Type.String({ format: 'uuid', description: 'A UUID' });
export const Code = Type.String({
  pattern: CODE_PATTERN,
  minLength: 1,
  maxLength: 64,
  description: 'Unique per tenant: 1–64 of A-Z a-z 0-9 . _ -',
  examples: ['HUB-1'],
});
export const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Services hand out Date objects; the serializer writes them as ISO 8601 strings. */
export const Timestamp = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
/** A code or an id: what orders, CSV rows and inventory requests use to name a hub, SKU or seller. */
export const CodeOrId = Type.String({ minLength: 1, maxLength: 64, description: 'A code, or an id' });

export const FieldProblem = Type.Object({
  field: Type.String(),
  message: Type.String(),
  value: Type.Optional(Type.String({ description: 'The value sent, when the message is about it' })),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(FieldProblem)),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** A body the client may leave out entirely (e.g. `POST /orders/:id/cancel` with no reason). */
export function OptionalBody<T extends TSchema>(schema: T): T {
  return { ...schema, 'x-optional-body': true };
}

/** Error responses every authenticated route may answer. */
export function problemResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of [400, 401, 403, 422, ...statuses]) out[status] = Type.Ref('Problem');
  return out;
}

const CsvList = (description: string) => Type.String({ maxLength: 20000, description: `${description}, comma-separated` });

/** Page size and position shared by every list: `limit` 1–500 (default 50), an opaque cursor. */
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
export const Cursor = Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' }));

export const ListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    ids: Type.Optional(CsvList('ids')),
    codes: Type.Optional(CsvList('codes')),
  },
  { additionalProperties: false },
);

/** The value, or null (a field that is always present, empty as null). */
export const Nullable = <T extends TSchema>(schema: T, options?: { description?: string }) => Type.Union([schema, Type.Null()], options);

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Nullable(Type.String()),
  });
}

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

/** Splits a comma-separated query value into trimmed, non-empty, distinct parts. */
export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
  return parts;
}
