/**
 * The one table `npm run bench` ends with: every figure the benchmarks measured, its baseline
 * measured in the same run, and the ratio. Each benchmark records its rows as it prints them.
 */
export interface SummaryRow {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  /** The same quantity for the reference it is compared with; the ratio is always value ÷ baseline. */
  baseline?: { label: string; value: number };
}

const rows: SummaryRow[] = [];

export function record(row: SummaryRow): void {
  rows.push(row);
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : String(Number(n.toFixed(2))));

export function printSummary(): void {
  if (rows.length === 0) return;
  const table = rows.map((r) => [
    r.bench,
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.label})` : '—',
    r.baseline ? (r.value / r.baseline.value).toFixed(2) : '—',
  ]);
  const head = ['bench', 'figure', 'measured', 'baseline, same run', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(`\nSummary (ratio = measured ÷ baseline)\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of table) console.log(line(row));
  console.log(JSON.stringify({ bench: 'summary', rows }));
}
