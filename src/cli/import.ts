/**
 * `oms import FILE.csv [--url URL] [--key KEY] [--wait] [--json]`: uploads the file (streamed from
 * disk), and with --wait shows a progress bar until the upload is finished, then the summary and
 * where the errors CSV is. Exit code 0 when it completed (invalid rows included), 1 when it failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { call, CliError, type Connection } from './api-client';

interface Upload {
  id: string;
  status: 'queued' | 'processing' | 'completed' | 'failed';
  size_bytes: number | null;
  bytes_done: number;
  rows_total: number;
  rows_valid: number;
  rows_invalid: number;
  orders_created: number;
  errors_file?: string;
  error?: string;
}

export interface ImportOptions {
  wait: boolean;
  json: boolean;
  /** Where the progress bar goes (a terminal redraws one line; anything else gets a line per change). */
  progress?: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  pollMs?: number;
}

const n = (value: number) => value.toLocaleString('en');

function progressLine(upload: Upload, width = 30): string {
  const fraction = upload.status === 'completed' ? 1 : upload.size_bytes ? Math.min(1, upload.bytes_done / upload.size_bytes) : 0;
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  return `[${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${upload.status.padEnd(10)} rows ${n(upload.rows_total)} (valid ${n(upload.rows_valid)}, invalid ${n(upload.rows_invalid)})`;
}

export async function importFile(connection: Connection, file: string, options: ImportOptions): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`no such file: ${file}`, 2);
  const form = new FormData();
  form.append('file', await openAsBlob(file, { type: 'text/csv' }), path.basename(file));
  const accepted = await call<{ upload_id: string; object_key: string }>(connection, 'POST', '/orders/upload', form);
  const out = process.stdout;
  if (!options.wait) {
    if (options.json) out.write(`${JSON.stringify(accepted)}\n`);
    else
      out.write(
        `Uploaded ${path.basename(file)} (${n(info.size)} bytes) as upload ${accepted.upload_id}.\nFollow it with: GET ${connection.url}/uploads/${accepted.upload_id}\n`,
      );
    return 0;
  }

  const progress = options.progress ?? process.stderr;
  let last = '';
  let upload: Upload;
  for (;;) {
    upload = await call<Upload>(connection, 'GET', `/uploads/${accepted.upload_id}`);
    const line = progressLine(upload);
    if (line !== last && !options.json) progress.write(progress.isTTY ? `\r${line}` : `${line}\n`);
    last = line;
    if (upload.status === 'completed' || upload.status === 'failed') break;
    await sleep(options.pollMs ?? 500);
  }
  if (progress.isTTY && !options.json) progress.write('\n');

  if (options.json) {
    out.write(`${JSON.stringify(upload)}\n`);
  } else if (upload.status === 'completed') {
    out.write(
      `Completed: ${n(upload.rows_total)} rows, ${n(upload.rows_valid)} valid, ${n(upload.rows_invalid)} invalid; ${n(upload.orders_created)} orders created.\n`,
    );
    if (upload.rows_invalid > 0) out.write(`Invalid rows, with the reason for each: GET ${connection.url}/uploads/${upload.id}/errors\n`);
  } else {
    out.write(`Failed: ${upload.error ?? 'no reason given'} (after ${n(upload.rows_total)} rows).\n`);
  }
  return upload.status === 'completed' ? 0 : 1;
}
