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
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: MessageCode,
    readonly params: Record<string, string | number> = {},
    readonly errors: FieldError[] = [],
    /** Extra members added to the problem document (e.g. `allowed` transitions). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(code);
    this.name = 'AppError';
  }
}

export const notFound = (resource: string, id: string) =>
  new AppError(404, 'resource.not_found', { resource, id });

export const conflict = (code: MessageCode, params: Record<string, string | number> = {}, extensions = {}) =>
  new AppError(409, code, params, [], extensions);

/** A 422 naming every bad field at once. */
export const invalid = (errors: FieldError[]) => new AppError(422, 'validation.failed', {}, errors);

/** Collects field errors while checking input, then throws them together. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, code: MessageCode, params?: Record<string, string | number>): void {
    this.list.push({ field, code, params });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw invalid(this.list);
  }
}
