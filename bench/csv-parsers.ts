/**
 * CSV parser benchmark (`npm run bench -- parsers`): csv-parse (what the ingest worker uses)
 * against papaparse, both streaming the same generated file from disk with the options the
 * worker needs (BOM, ragged rows allowed, empty lines skipped), three interleaved rounds each.
 * Both must read the same records: the bench checks counts and a digest of every field.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { generate } from './ingest';
import { median } from './lib/server-db';
import { record } from './lib/summary';

const ROWS = Number(process.env.BENCH_ROWS || 500_000);

interface Outcome {
  records: number;
  digest: string;
}

async function withCsvParse(file: string): Promise<Outcome> {
  const hash = createHash('sha1');
  let records = 0;
  const parser = createReadStream(file).pipe(parse({ bom: true, delimiter: ',', relax_column_count: true, skip_empty_lines: true }));
  for await (const record of parser as AsyncIterable<string[]>) {
    records++;
    hash.update(record.join('\u0001'));
  }
  return { records, digest: hash.digest('hex') };
}

async function withPapaparse(file: string): Promise<Outcome> {
  const hash = createHash('sha1');
  let records = 0;
  const parser = createReadStream(file).pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { delimiter: ',', skipEmptyLines: true }));
  for await (const record of parser as AsyncIterable<string[]>) {
    records++;
    hash.update(record.join('\u0001'));
  }
  return { records, digest: hash.digest('hex') };
}

export async function runParsersBench(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-bench-parsers-'));
  try {
    const file = path.join(dir, 'orders.csv');
    await generate(file, ROWS);
    const mb = (await stat(file)).size / 1024 ** 2;
    const parsers = { 'csv-parse': withCsvParse, papaparse: withPapaparse };
    const seconds: Record<string, number[]> = { 'csv-parse': [], papaparse: [] };
    const outcomes: Record<string, Outcome> = {};
    for (let round = 0; round < 3; round++) {
      for (const [name, run] of Object.entries(parsers)) {
        const started = performance.now();
        outcomes[name] = await run(file);
        seconds[name]!.push((performance.now() - started) / 1000);
      }
    }
    if (outcomes['csv-parse']!.records !== outcomes.papaparse!.records || outcomes['csv-parse']!.digest !== outcomes.papaparse!.digest) {
      throw new Error(`the parsers disagree: ${JSON.stringify(outcomes)}`);
    }
    console.log(
      `\nCSV parsers, ${ROWS.toLocaleString('en')} rows (${mb.toFixed(0)} MB) streamed from disk, median of 3 interleaved rounds; both read identical records`,
    );
    const report: Record<string, unknown> = { bench: 'parsers', rows: ROWS };
    for (const name of Object.keys(parsers)) {
      const s = median(seconds[name]!);
      console.log(`${name.padEnd(10)} ${s.toFixed(2)} s = ${Math.round(ROWS / s).toLocaleString('en')} rows/s (${(mb / s).toFixed(0)} MB/s)`);
      report[name] = { seconds: s, rows_per_s: Math.round(ROWS / s) };
    }
    const ratio = median(seconds.papaparse!) / median(seconds['csv-parse']!);
    record({
      bench: 'parsers',
      figure: 'csv-parse rows parsed',
      value: ROWS / median(seconds['csv-parse']!),
      unit: 'rows/s',
      baseline: { label: 'papaparse', value: ROWS / median(seconds.papaparse!) },
    });
    console.log(`csv-parse is ${ratio.toFixed(2)}× papaparse's speed`);
    console.log(JSON.stringify({ ...report, csv_parse_vs_papaparse: Number(ratio.toFixed(2)) }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
