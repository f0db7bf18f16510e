/**
 * Rows for COPY … FROM in PostgreSQL's text format: columns separated by tabs, rows by newlines,
 * NULL as \N, and backslash, tab, newline and carriage return escaped. The cheapest way to hand
 * PostgreSQL many rows: no SQL parsing, no JSON parameter to take apart.
 */

/** One value: strings as they are, objects as JSON (for json/jsonb columns), Dates in ISO 8601. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value as number | bigint | boolean);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : text;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** The text for these rows, each a list of values in the COPY's column order. */
export function copyText(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) out += (i === 0 ? '' : '\t') + field(row[i]);
    out += '\n';
  }
  return out;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** The COPY statement's target; names are ours, never input, and are checked all the same. */
export function copyTarget(table: string, columns: readonly string[]): string {
  for (const name of [table, ...columns]) if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL name: ${name}`);
  return `${table} (${columns.join(', ')})`;
}
