/**
 * ObjectStore on a local directory (the embedded default, under DATA_DIR/objects). A put
 * streams into a temporary file and renames it into place, so a crash mid-write never leaves
 * half an object under the key.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { assertObjectKey, InvalidObjectKeyError, ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '../../ports/object-store';

const TEMP_DIR = '.incoming';

export class LocalObjectStore implements ObjectStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file of a key; the key rules already exclude escaping, this re-checks the result. */
  private fileOf(key: string): string {
    assertObjectKey(key);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new InvalidObjectKeyError(key, 'escapes the store');
    if (key.split('/')[0] === TEMP_DIR) throw new InvalidObjectKeyError(key, `"${TEMP_DIR}" is reserved`);
    return file;
  }

  async put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    const file = this.fileOf(key);
    const temp = path.join(this.root, TEMP_DIR, randomUUID());
    await mkdir(path.dirname(temp), { recursive: true });
    try {
      await pipeline(typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(temp));
      await mkdir(path.dirname(file), { recursive: true });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, size: (await stat(file)).size };
  }

  async get(key: string): Promise<Readable> {
    const file = this.fileOf(key);
    const info = await this.head(key);
    if (!info) throw new ObjectNotFoundError(key);
    return createReadStream(file, { highWaterMark: 256 * 1024 });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.fileOf(key));
      return info.isFile() ? { key, size: info.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // The prefix's directory part is listed recursively; keys are filtered by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const dir = slash < 0 ? '' : prefix.slice(0, slash);
    if (dir !== '') assertObjectKey(dir);
    let entries: string[];
    try {
      entries = (await readdir(path.join(this.root, dir), { recursive: true })) as string[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: ObjectInfo[] = [];
    for (const entry of entries.sort()) {
      const key = (dir === '' ? entry : `${dir}/${entry}`).split(path.sep).join('/');
      if (!key.startsWith(prefix) || key.startsWith(`${TEMP_DIR}/`)) continue;
      const info = await this.head(key).catch(() => undefined);
      if (info) found.push(info);
    }
    return found;
  }

  async delete(key: string): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }
}
