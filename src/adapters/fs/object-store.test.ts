import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalObjectStore } from './object-store';

let dir: string;
let store: LocalObjectStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oms-store-'));
  store = new LocalObjectStore(path.join(dir, 'objects'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// The engine-independent rules are in ../object-store.contract.test.ts.
it('refuses the temporary folder as a key', async () => {
  await expect(store.put('.incoming/x', 'no')).rejects.toThrow(/invalid object key/);
});

it('a failed stream leaves no object and no temporary file behind', async () => {
  const failing = new Readable({
    read() {
      this.destroy(new Error('client went away'));
    },
  });
  await expect(store.put('half.csv', failing)).rejects.toThrow('client went away');
  expect(await store.head('half.csv')).toBeUndefined();
  expect(await readdir(path.join(dir, 'objects', '.incoming'))).toEqual([]);
});
