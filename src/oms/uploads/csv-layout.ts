/**
 * The CSV upload format (docs/SPEC.md §4): which delimiter a file uses, and which of its columns hold
 * which field, by name or alias (trimmed, case-insensitive; unknown columns ignored).
 */
import type { DecimalSeparator } from '../money';

export const FIELDS = {
  sku: ['sku', 'sku_id', 'sku_code'],
  hub: ['hub_id', 'hub', 'hub_code'],
  quantity: ['quantity', 'qty'],
  reference: ['order_id', 'reference', 'order_number'],
  tenant: ['tenant_id', 'tenant'],
  seller: ['seller_id', 'seller'],
  customer_name: ['customer_name'],
  customer_email: ['customer_email'],
  customer_id: ['customer_id'],
  product_name: ['product_name'],
  unit_price: ['unit_price', 'price'],
  total_amount: ['total_amount'],
  order_date: ['order_date'],
  shipping_address: ['shipping_address'],
  currency: ['currency'],
} as const;

export type Field = keyof typeof FIELDS;
/** hub_id may be absent or empty: such lines are allocated when the order is finalized. */
export const REQUIRED_FIELDS: readonly Field[] = ['sku', 'quantity'];

/** Column index of each field present in the header. */
export type ColumnMap = Partial<Record<Field, number>>;

export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

export function mapHeader(header: readonly string[]): ColumnMap {
  const columns: ColumnMap = {};
  const byName = new Map(header.map((name, i) => [name.trim().toLowerCase(), i] as const));
  for (const [field, names] of Object.entries(FIELDS) as [Field, readonly string[]][]) {
    // The first alias present wins; header order decides between two columns of one field.
    const index = names
      .map((n) => byName.get(n))
      .filter((i): i is number => i !== undefined)
      .sort((a, b) => a - b)[0];
    if (index !== undefined) columns[field] = index;
  }
  const missing = REQUIRED_FIELDS.filter((f) => columns[f] === undefined);
  if (missing.length > 0) {
    throw new LayoutError(
      `The header lacks required column${missing.length > 1 ? 's' : ''} ${missing
        .map(
          (f) =>
            `"${FIELDS[f][0]}" (or ${FIELDS[f]
              .slice(1)
              .map((a) => `"${a}"`)
              .join(', ')})`,
        )
        .join(' and ')}; found: ${header.map((h) => `"${h.trim()}"`).join(', ') || 'nothing'}`,
    );
  }
  return columns;
}

export const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The delimiter of a file from its header line: the candidate that occurs most often outside
 * quotes (a comma when none occurs: a one-column header).
 */
export function detectDelimiter(firstChunk: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of firstChunk.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * The decimal separator of an upload's prices: the one its uploader gave, else either a dot or
 * a comma in a `;`-separated file (a European spreadsheet writes 19,90 there), else a dot.
 */
export function decimalSeparatorOf(upload: { delimiter: string | null; decimal_separator: '.' | ',' | null }): DecimalSeparator {
  return upload.decimal_separator ?? (upload.delimiter === ';' ? 'either' : '.');
}
