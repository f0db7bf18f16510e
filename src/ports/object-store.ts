/**
 * ObjectStore port: named blobs, streamed in and out. Embedded: a local directory under
 * DATA_DIR (adapters/fs). Scale-out: any S3 API. Keys are relative slash-separated paths;
 * `assertObjectKey` is the one rule every engine applies.
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface ObjectStore {
  /** Stores the stream under `key` whole or not at all (a reader never sees half an object). */
  put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo>;
  /** The object's bytes; throws ObjectNotFoundError when there is none. */
  get(key: string): Promise<Readable>;
  /** Size of the object, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Keys under a prefix, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (S3); absent for the local directory. */
  close?(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object "${key}" does not exist`);
    this.name = 'ObjectNotFoundError';
  }
}

export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key: ${reason}`);
    this.name = 'InvalidObjectKeyError';
  }
}

const SEGMENT = /^[A-Za-z0-9._ ()+,=@-]+$/;

/** A key is 1–1024 characters of slash-separated segments: no absolute path, no `.`/`..`, no control characters. */
export function assertObjectKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new InvalidObjectKeyError(String(key), 'must be 1–1024 characters');
  if (key.startsWith('/') || key.includes('\\')) throw new InvalidObjectKeyError(key, 'must be a relative path with forward slashes');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw new InvalidObjectKeyError(key, 'must not contain empty, "." or ".." segments');
    if (!SEGMENT.test(segment)) throw new InvalidObjectKeyError(key, 'may contain only letters, digits, space and . _ - ( ) + , = @');
  }
  return key;
}

/** A file name reduced to the characters keys allow (the rest become `_`), at most 100 long. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[^A-Za-z0-9._()+,=@-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(-100);
  return cleaned === '' ? 'upload.csv' : cleaned;
}
