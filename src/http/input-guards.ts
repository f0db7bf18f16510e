/**
 * Checks on any request's input that no schema can express, so that a client's mistake is a 4xx
 * naming the field, never a 500 from deep inside:
 * - JSON nested deeper than MAX_JSON_DEPTH (a recursive walk of it would overflow the stack);
 * - a NUL character in any string of the body, the query or the path (PostgreSQL text cannot
 *   hold one, and would refuse the statement).
 */
import type { FastifyRequest } from 'fastify';
import { AppError, invalid } from '../shared/errors';

export const MAX_JSON_DEPTH = 64;

/** Throws 400 when JSON text nests objects and arrays deeper than MAX_JSON_DEPTH (strings are skipped). */
export function assertJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // a backslash escapes the next character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > MAX_JSON_DEPTH) throw new AppError(400, 'request.too_deep', { limit: MAX_JSON_DEPTH });
    } else if (ch === 125 || ch === 93) depth--;
  }
}

/** The path of the first string holding a NUL character in `value`, walked without recursion. */
function findNul(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path;
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, `${path}[${i}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000')) return path;
        stack.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return undefined;
}

/** preValidation: refuses a NUL character anywhere in the path, the query or the body (422 naming where). */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  const field = findNul(request.params, '') ?? findNul(request.query, '') ?? findNul(request.body, '');
  if (field === undefined) return;
  throw invalid([{ field: field || 'body', code: 'field.nul' }]);
}
