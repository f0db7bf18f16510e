/**
 * Exact money arithmetic on decimal strings with two places, in integer cents (BigInt):
 * never a binary float. Inputs may be numbers or strings; at most two decimal places.
 */
/**
 * Which character separates the cents: a dot, a comma (European spreadsheets write 19,90), or
 * either one (there is no thousands separator to confuse with it: at most two places follow).
 */
export type DecimalSeparator = '.' | ',' | 'either';

const DECIMAL: Record<DecimalSeparator, RegExp> = {
  '.': /^(\d{1,13})(?:\.(\d{1,2}))?$/,
  ',': /^(\d{1,13})(?:,(\d{1,2}))?$/,
  either: /^(\d{1,13})(?:[.,](\d{1,2}))?$/,
};

/** "19.9" | 19.9 → 1990n cents ("19,9" too with a comma separator); undefined when not a decimal ≥ 0 with ≤ 2 places. */
export function toCents(value: string | number, separator: DecimalSeparator = '.'): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = DECIMAL[typeof value === 'number' ? '.' : separator].exec(text);
  if (!match) return undefined;
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

export function formatCents(cents: bigint): string {
  const whole = cents / 100n;
  const fraction = (cents % 100n).toString().padStart(2, '0');
  return `${whole}.${fraction}`;
}
