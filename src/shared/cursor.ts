/**
 * Opaque keyset cursors. A cursor is the last row's sort key, base64url-encoded; lists resume
 * strictly after it, so pages never repeat a row or skip one that existed when paging began.
 */
import { invalid } from './errors';

export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify([key]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Every list sorts by a UUID or a bigint id: anything else was not made by a list.
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && (UUID_RE.test(parsed[0]) || /^\d{1,18}$/.test(parsed[0]))) return parsed[0];
  } catch {
    // fall through to the 422 below
  }
  throw invalid([{ field: 'cursor', code: 'field.cursor' }]);
}

/** Builds a page from `limit + 1` fetched rows: the extra row only proves there is a next page. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): { data: T[]; next_cursor: string | null } {
  if (rows.length <= limit) return { data: rows, next_cursor: null };
  const data = rows.slice(0, limit);
  return { data, next_cursor: encodeCursor(keyOf(data[data.length - 1] as T)) };
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID_RE.test(value);
