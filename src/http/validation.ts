/**
 * Request validation. Two Ajv instances: bodies are validated strictly (no type coercion,
 * unknown fields rejected, every error reported), while query strings, params and headers
 * coerce their text into the declared types ("limit=10" → 10).
 */
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../shared/errors';
import { CODE_PATTERN } from './schemas';

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerceTypes ? 'array' : false,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? strict : coercing).compile(schema as object);
    if (httpPart !== 'body' || !(schema as Record<string, unknown>)['x-optional-body']) return validate as never;
    // An absent body is allowed (Fastify hands it over as null); a present one must still match.
    // The errors are read through a getter: Object.assign would copy them once, as undefined,
    // and Fastify takes a failed check without errors for a pass.
    const optional = (data: unknown) => data === undefined || data === null || validate(data);
    return Object.defineProperty(optional, 'errors', { get: () => validate.errors }) as never;
  };
}

/** "/items/0/quantity" → "items[0].quantity"; "/3/sku" → "[3].sku"; "" → "body". */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? 'body' : out;
}

/**
 * With unions (anyOf), Ajv reports the failures of every branch. Keep only the branch that
 * fits the value's type best (the one without a type error at the union's own path), so that
 * `{"quantity": "x"}` is told about quantity, not that it "is not an array".
 */
function pruneUnionBranches(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  let kept = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  for (const union of unions) {
    const prefix = `${union.schemaPath.slice(0, -union.keyword.length - 1)}/${union.keyword}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of kept) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] as string;
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    if (branches.size === 0) continue;
    const plausible = [...branches.values()].filter(
      (list) => !list.some((e) => e.instancePath === union.instancePath && (e.keyword === 'type' || e.keyword === 'const')),
    );
    const chosen = plausible.sort((a, b) => a.length - b.length)[0];
    const drop = new Set([...branches.values()].flat().filter((e) => !chosen?.includes(e)));
    kept = kept.filter((e) => !drop.has(e));
    if (!chosen) kept.push({ ...union, keyword: 'invalid' });
  }
  return kept;
}

/** Maps Ajv errors to field errors, one per field (the first problem found is the one named). */
export function ajvToFieldErrors(errors: ErrorObject[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of pruneUnionBranches(errors)) {
    const error = fieldErrorOf(e);
    if (seen.has(error.field)) continue;
    seen.add(error.field);
    out.push(error);
  }
  return out;
}

const LIMIT_CODES = {
  minimum: 'field.minimum',
  maximum: 'field.maximum',
  exclusiveMinimum: 'field.exclusive_minimum',
  minLength: 'field.min_length',
  maxLength: 'field.max_length',
  minItems: 'field.min_items',
  maxItems: 'field.max_items',
} as const;

/** One Ajv error in our words: the field it names (a missing or unknown property is the field), the code and its parameters. */
function fieldErrorOf(e: ErrorObject): FieldError {
  const p = e.params as Record<string, unknown>;
  const field = fieldPath(e.instancePath);
  if (Object.hasOwn(LIMIT_CODES, e.keyword)) {
    return { field, code: LIMIT_CODES[e.keyword as keyof typeof LIMIT_CODES], params: { limit: Number(p.limit) } };
  }
  switch (e.keyword) {
    case 'required':
      return { field: fieldPath(e.instancePath, String(p.missingProperty)), code: 'field.required' };
    case 'additionalProperties':
      return { field: fieldPath(e.instancePath, String(p.additionalProperty)), code: 'field.unknown' };
    case 'type':
      return { field, code: 'field.type', params: { type: String(p.type) } };
    case 'pattern':
      return { field, code: p.pattern === CODE_PATTERN ? 'field.code_format' : 'field.pattern' };
    case 'format':
      return { field, code: 'field.format', params: { format: String(p.format) } };
    case 'enum':
      return { field, code: 'field.enum', params: { values: (p.allowedValues as unknown[]).join(', ') } };
    case 'const':
      return { field, code: 'field.enum', params: { values: String(p.allowedValue) } };
    default:
      return { field, code: 'field.invalid' };
  }
}
