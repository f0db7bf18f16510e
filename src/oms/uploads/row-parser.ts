/**
 * One CSV row read into an order line, with every reason it is invalid (the checks that need
 * no database: shape, numbers, dates, e-mail, lengths). Values keep their original text for
 * the errors file; this reads trimmed copies.
 */
import { toCents, type DecimalSeparator } from '../money';
import type { ColumnMap, Field } from './csv-layout';

export interface CsvRow {
  /** The row's number in the file, the header being row 1. */
  number: number;
  values: string[];
}

export interface ParsedLine {
  row: CsvRow;
  tenant?: string;
  reference?: string;
  hub: string;
  sku: string;
  seller?: string;
  quantity: number;
  unitCents?: bigint;
  lineCents?: bigint;
  orderDate?: Date;
  customer: { id?: string; name?: string; email?: string };
  productName?: string;
  shippingAddress?: string;
  currency?: string;
  errors: string[];
}

/**
 * The longest cell an order row may hold. A longer cell, in any column, makes its row invalid,
 * and is cut to this length at once: the row waiting in a batch (and its line in the errors file)
 * never holds more, whatever the file holds.
 */
export const MAX_CELL_CHARS = 2000;
const cut = (value: string) => (value.length > MAX_CELL_CHARS ? `${value.slice(0, MAX_CELL_CHARS)}…` : value);
const WHOLE = /^\d{1,9}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
const REFERENCE = /^[A-Za-z0-9._:/#-]{1,64}$/;

function parseDate(text: string): Date | undefined {
  if (!DATE.test(text) && !DATE_TIME.test(text)) return undefined;
  const date = new Date(DATE.test(text) ? `${text}T00:00:00Z` : text.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) return undefined;
  // 2024-02-30 rolls over in Date; the calendar date must read back the same.
  return date.toISOString().slice(0, 10) === text.slice(0, 10) || !DATE.test(text) ? date : undefined;
}

const SEPARATOR_HINT: Record<DecimalSeparator, string> = {
  '.': 'with a decimal point, e.g. 19.90',
  ',': 'with a decimal comma, e.g. 19,90',
  either: 'e.g. 19.90 or 19,90',
};

/** A column as a reason names it: its field, or its position for a column the layout ignores. */
function nameOf(columns: ColumnMap, index: number): string {
  const field = (Object.keys(columns) as Field[]).find((f) => columns[f] === index);
  return field ?? `column ${index + 1}`;
}

type Cell = (field: Field) => string | undefined;

export function parseRow(row: CsvRow, columns: ColumnMap, width: number, decimal: DecimalSeparator = '.'): ParsedLine {
  const errors: string[] = [];
  const get: Cell = (field) => {
    const i = columns[field];
    if (i === undefined) return undefined;
    const value = (row.values[i] ?? '').trim();
    return value === '' ? undefined : value;
  };
  row = storableRow(row, columns, width, errors);

  const sku = get('sku');
  const hub = get('hub');
  const quantityText = get('quantity');
  if (!sku) errors.push('sku is missing');
  let quantity = 0;
  if (!quantityText) errors.push('quantity is missing');
  else if (!WHOLE.test(quantityText) || Number(quantityText) === 0) errors.push(`quantity "${quantityText.slice(0, 40)}" is not a whole number > 0`);
  else quantity = Number(quantityText);

  const { unitCents, lineCents } = readAmounts(get, quantity, decimal, errors);

  const dateText = get('order_date');
  const orderDate = dateText === undefined ? undefined : parseDate(dateText);
  if (dateText !== undefined && !orderDate) errors.push(`order_date "${dateText.slice(0, 40)}" is not a date (YYYY-MM-DD or ISO 8601)`);

  const email = get('customer_email');
  if (email !== undefined && !EMAIL.test(email)) errors.push(`customer_email "${email.slice(0, 80)}" is not an e-mail address`);
  const customerId = get('customer_id');
  if (customerId !== undefined && !UUID.test(customerId)) errors.push(`customer_id "${customerId.slice(0, 64)}" is not a UUID`);
  const name = get('customer_name');
  const currency = get('currency');
  if (currency !== undefined && !CURRENCY.test(currency)) errors.push(`currency "${currency.slice(0, 10)}" is not a 3-letter code`);
  const reference = get('reference');
  if (reference !== undefined && !REFERENCE.test(reference)) errors.push('order_id must be 1–64 of A-Z a-z 0-9 . _ : / # -');

  return {
    row,
    tenant: get('tenant'),
    reference,
    hub: hub ?? '',
    sku: sku ?? '',
    seller: get('seller'),
    quantity,
    unitCents,
    lineCents,
    orderDate,
    customer: customerId ? { id: customerId } : email ? { name: name ?? email, email } : {},
    productName: get('product_name'),
    shippingAddress: get('shipping_address'),
    currency,
    errors,
  };
}

/**
 * The row as it may be kept and stored: cells cut to MAX_CELL_CHARS, NULs (which PostgreSQL text
 * cannot hold) shown as U+2400. Each thing that needed doing is also a reason the row is invalid.
 */
function storableRow(row: CsvRow, columns: ColumnMap, width: number, errors: string[]): CsvRow {
  if (row.values.length !== width) errors.push(`has ${row.values.length} fields, the header has ${width}`);
  const long = row.values.flatMap((v, i) => (v.length > MAX_CELL_CHARS ? [nameOf(columns, i)] : []));
  if (long.length > 0) {
    errors.push(`${long.join(', ')}: cell longer than ${MAX_CELL_CHARS} characters`);
    row = { ...row, values: row.values.map(cut) };
  }
  if (row.values.some((v) => v.includes('\uFFFD'))) errors.push('contains bytes that are not valid UTF-8');
  if (row.values.some((v) => v.includes('\u0000'))) {
    errors.push('contains a NUL character');
    row = { ...row, values: row.values.map((v) => v.replaceAll('\u0000', '\u2400')) };
  }
  return row;
}

/** Unit price and line total in cents; a total must be quantity × unit price (a cent of rounding allowed). */
function readAmounts(get: Cell, quantity: number, decimal: DecimalSeparator, errors: string[]) {
  const money = (field: 'unit_price' | 'total_amount'): bigint | undefined => {
    const text = get(field);
    if (text === undefined) return undefined;
    const cents = toCents(text, decimal);
    if (cents === undefined) errors.push(`${field} "${text.slice(0, 40)}" is not a decimal ≥ 0 with at most 2 places (${SEPARATOR_HINT[decimal]})`);
    return cents;
  };
  const unitCents = money('unit_price');
  const lineCents = money('total_amount');
  if (unitCents !== undefined && lineCents !== undefined && quantity > 0) {
    const expected = unitCents * BigInt(quantity);
    const diff = expected > lineCents ? expected - lineCents : lineCents - expected;
    if (diff > 1n) errors.push(`total_amount ${lineCents / 100n}.${String(lineCents % 100n).padStart(2, '0')} is not quantity × unit_price`);
  }
  return { unitCents, lineCents };
}
