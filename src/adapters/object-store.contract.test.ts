/**
 * The ObjectStore port's contract, run against every implementation: the local directory and
 * S3 (S3Proxy when it runs, as in CI, else s3rver started here on loopback: test/helpers/emulators).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_CREDENTIALS, S3_ENGINE, startS3, type S3Emulator } from '../../test/helpers/emulators';
import { ObjectNotFoundError, type ObjectStore } from '../ports/object-store';
import { LocalObjectStore } from './fs/object-store';
import { S3ObjectStore } from './s3/object-store';

let dir: string;
let s3: S3Emulator;
const closers: (() => unknown)[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oms-store-contract-'));
  s3 = await startS3();
});
afterAll(async () => {
  for (const close of closers) await close();
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

const text = async (stream: Readable) => {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
};

const implementations: [string, () => ObjectStore][] = [
  ['local directory', () => new LocalObjectStore(path.join(dir, randomBytes(4).toString('hex')))],
  [
    `S3 (${S3_ENGINE})`,
    () => {
      // A small part size, so a few MiB already go through the multipart path.
      const store = new S3ObjectStore({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: ENGINE_CREDENTIALS,
        prefix: `${randomBytes(4).toString('hex')}/`,
        partSizeBytes: 5 * 1024 * 1024,
      });
      closers.push(() => store.close());
      return store;
    },
  ],
];

for (const [name, open] of implementations) {
  describe(`ObjectStore contract: ${name}`, () => {
    it('streams objects in and out, lists by prefix in key order, deletes idempotently', async () => {
      const store = open();
      expect(await store.put('a/b/two.csv', 'z')).toEqual({ key: 'a/b/two.csv', size: 1 });
      expect(await store.put('a/b/one.csv', Readable.from(['x,y\n', '1,2\n']))).toEqual({ key: 'a/b/one.csv', size: 8 });
      await store.put('a/c.csv', Buffer.from('ü'));
      expect(await text(await store.get('a/b/one.csv'))).toBe('x,y\n1,2\n');
      expect((await store.list('a/b/')).map((o) => o.key)).toEqual(['a/b/one.csv', 'a/b/two.csv']);
      expect((await store.list('a/')).map((o) => [o.key, o.size])).toEqual([
        ['a/b/one.csv', 8],
        ['a/b/two.csv', 1],
        ['a/c.csv', 2],
      ]);
      expect(await store.head('a/b/one.csv')).toEqual({ key: 'a/b/one.csv', size: 8 });
      expect(await store.head('a/b/none.csv')).toBeUndefined();
      await store.delete('a/b/two.csv');
      await store.delete('a/b/two.csv');
      await expect(store.get('a/b/two.csv')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('keeps a large streamed object byte for byte (multipart on S3)', async () => {
      const store = open();
      const chunk = randomBytes(64 * 1024);
      const chunks = 200; // 12.5 MiB: three parts of 5 MiB
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < chunks; i++) yield chunk;
        })(),
      );
      expect(await store.put('big.bin', source)).toEqual({ key: 'big.bin', size: chunks * chunk.length });
      let size = 0;
      let same = true;
      for await (const part of (await store.get('big.bin')) as AsyncIterable<Buffer>) {
        for (let i = 0; i < part.length; i += 4096) if (part[i] !== chunk[(size + i) % chunk.length]) same = false;
        size += part.length;
      }
      expect(size).toBe(chunks * chunk.length);
      expect(same).toBe(true);
    });

    it('a failed stream leaves no object under the key', async () => {
      const store = open();
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent++ < 100) this.push(randomBytes(64 * 1024));
          else this.destroy(new Error('client went away'));
        },
      });
      await expect(store.put('half.csv', failing)).rejects.toThrow('client went away');
      expect(await store.head('half.csv')).toBeUndefined();
    });

    it('refuses keys that escape the store', async () => {
      const store = open();
      for (const key of ['../x', '/etc/passwd', 'a/../../x', 'a//b', 'a\\b', '', 'a/./b', 'x\u0000y']) {
        await expect(store.put(key, 'no'), key).rejects.toThrow(/invalid object key/);
        await expect(store.get(key), key).rejects.toThrow(/invalid object key/);
      }
    });
  });
}
