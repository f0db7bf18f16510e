/**
 * The errors CSV of an upload: the file's header plus `row_number,error`, one line per invalid
 * row with its values as uploaded. Written per batch as part objects (a retried batch rewrites
 * its part), then joined into one object when the upload completes.
 */
import { PassThrough, type Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { ObjectStore } from '../../ports/object-store';
import type { InvalidRow } from './batch-builder';

export const errorsFileKey = (uploadId: string) => `errors/${uploadId}.csv`;
const partPrefix = (uploadId: string) => `errors/${uploadId}/part-`;
const partKey = (uploadId: string, batch: number) => `${partPrefix(uploadId)}${String(batch).padStart(8, '0')}.csv`;

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab/CR) as a formula. Such values get
 * a leading apostrophe, except plain numbers such as -5, which mean what they say.
 */
export function neutralise(value: string): string {
  if (/^[=@\t\r]/.test(value)) return `'${value}`;
  if (/^[+-]/.test(value) && !/^[+-]\d+(\.\d+)?$/.test(value)) return `'${value}`;
  return value;
}

export function errorsHeader(header: readonly string[]): string {
  return stringify([[...header.map(neutralise), 'row_number', 'error']]);
}

export async function writeErrorsPart(store: ObjectStore, uploadId: string, batch: number, rows: readonly InvalidRow[]): Promise<void> {
  const body = stringify(rows.map((r) => [...r.row.values.map(neutralise), String(r.row.number), neutralise(r.reasons.join('; '))]));
  await store.put(partKey(uploadId, batch), body);
}

/** Header then the parts of batches up to `batches` (later parts belong to an unfinished batch), streamed. */
export async function streamErrors(store: ObjectStore, uploadId: string, header: readonly string[], batches: number): Promise<Readable> {
  const parts = (await store.list(partPrefix(uploadId))).filter((p) => Number(p.key.slice(-12, -4)) <= batches);
  const out = new PassThrough();
  void (async () => {
    try {
      out.write(errorsHeader(header));
      for (const part of parts) {
        for await (const chunk of await store.get(part.key)) {
          if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
        }
      }
      out.end();
    } catch (error) {
      out.destroy(error as Error);
    }
  })();
  return out;
}

/** Joins the parts into the upload's errors file and removes them; answers its key, or null when no row was invalid. */
export async function composeErrors(store: ObjectStore, uploadId: string, header: readonly string[], batches: number): Promise<string | null> {
  const parts = await store.list(partPrefix(uploadId));
  if (parts.length === 0) return (await store.head(errorsFileKey(uploadId))) ? errorsFileKey(uploadId) : null;
  await store.put(errorsFileKey(uploadId), await streamErrors(store, uploadId, header, batches));
  for (const part of parts) await store.delete(part.key);
  return errorsFileKey(uploadId);
}
