/**
 * Typed application errors. Services throw `AppError` with a stable `code`; the HTTP layer
 * renders it as RFC 9457 problem+json, translated by the message catalog (`messages.ts`).
 * The domain never imports Fastify.
 */
import type { MessageCode } from './messages';

export interface FieldError {
  field: string;
  /** Message code from the catalog plus its parameters, rendered per request language. */
  code: MessageCode;
  params?: Record<string, string | number>;
  /** The value the caller sent, where showing it helps (an unknown code, say). */
  value?: string;
}

/** A value as an error message quotes it: whole when short, cut at 64 characters otherwise. */
export const shownValue = (value: string) => (value.length > 64 ? `${value.slice(0, 64)}…` : value);

export class AppError extends Error {
  readonly errors: FieldError[];
  readonly extensions: Record<string, unknown>;

  constructor(
    readonly status: number,
    readonly code: MessageCode,
    readonly params: Record<string, string | number> = {},
    more: {
      /** The fields at fault (a 422). */
      errors?: FieldError[];
      /** Extra members added to the problem document (e.g. `allowed` transitions). */
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(code);
    this.errors = more.errors ?? [];
    this.extensions = more.extensions ?? {};
    this.name = 'AppError';
  }
}

export const notFound = (resource: string, id: string) => new AppError(404, 'resource.not_found', { resource, id });

export const conflict = (code: MessageCode, params: Record<string, string | number> = {}, extensions = {}) => new AppError(409, code, params, { extensions });

/** A 422 naming every bad field at once. */
export const invalid = (errors: FieldError[]) => new AppError(422, 'validation.failed', {}, { errors });

/** A field naming a hub, SKU, customer… that the tenant does not have; the message quotes it. */
const unknownField = (field: string, resource: string, value: string): FieldError => {
  const shown = shownValue(value);
  return { field, code: 'field.unknown_reference', params: { resource, value: shown }, value: shown };
};

/** A 422 for one field that names something the tenant does not have. */
export const unknownReference = (field: string, resource: string, value: string) => invalid([unknownField(field, resource, value)]);

/** Collects field errors while checking input, then throws them together. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, code: MessageCode, params?: Record<string, string | number>): void {
    this.list.push({ field, code, params });
  }
  /** `field` names a hub, SKU, seller… that the tenant does not have; the message quotes it. */
  unknown(field: string, resource: string, value: string): void {
    this.list.push(unknownField(field, resource, value));
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw invalid(this.list);
  }
}
