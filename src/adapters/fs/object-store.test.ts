import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../ports/object-store';
import { LocalObjectStore } from './object-store';

let dir: string;
let store: LocalObjectStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oms-store-'));
  store = new LocalObjectStore(path.join(dir, 'objects'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const text = async (stream: Readable) => {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
};

it('streams objects in and out, lists by prefix, deletes idempotently', async () => {
  await store.put('a/b/one.csv', Readable.from(['x,y\n', '1,2\n']));
  await store.put('a/b/two.csv', 'z');
  expect(await text(await store.get('a/b/one.csv'))).toBe('x,y\n1,2\n');
  expect((await store.list('a/b/')).map((o) => o.key)).toEqual(['a/b/one.csv', 'a/b/two.csv']);
  expect(await store.head('a/b/one.csv')).toEqual({ key: 'a/b/one.csv', size: 8 });
  await store.delete('a/b/two.csv');
  await store.delete('a/b/two.csv');
  await expect(store.get('a/b/two.csv')).rejects.toBeInstanceOf(ObjectNotFoundError);
});

it('refuses keys that escape the store', async () => {
  for (const key of ['../x', '/etc/passwd', 'a/../../x', 'a//b', 'a\\b', '', 'a/./b', 'x\u0000y', '.incoming/x']) {
    await expect(store.put(key, 'no'), key).rejects.toThrow(/invalid object key/);
  }
});

it('a failed stream leaves no object and no temporary file behind', async () => {
  const failing = new Readable({ read() { this.destroy(new Error('client went away')); } });
  await expect(store.put('half.csv', failing)).rejects.toThrow('client went away');
  expect(await store.head('half.csv')).toBeUndefined();
  expect(await readdir(path.join(dir, 'objects', '.incoming'))).toEqual([]);
});
