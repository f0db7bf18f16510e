import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

/** A store that records its batches and takes `ms` per batch; an item "bad" fails its batch. */
function recordingStore(ms: number) {
  const batches: string[][] = [];
  const store = async (key: string, items: string[]) => {
    batches.push(items);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (items.includes('bad')) throw new Error(`bad item in ${key}`);
    return items.map((item) => `${key}:${item}`);
  };
  return { batches, store };
}

describe('GroupCommit', () => {
  it('stores items submitted together as one batch per key, each caller getting its own outcome', async () => {
    const { batches, store } = recordingStore(5);
    const group = new GroupCommit(store, { maxBatch: 100, maxInFlight: 1, maxWaiting: 100 });
    const outcomes = await Promise.all([group.submit('t1', 'a'), group.submit('t2', 'x'), group.submit('t1', 'b')]);
    expect(outcomes).toEqual(['t1:a', 't2:x', 't1:b']);
    expect(batches).toEqual([['a', 'b'], ['x']]);
  });

  it('lets items wait while a batch is in flight, then sends them together', async () => {
    const { batches, store } = recordingStore(20);
    const group = new GroupCommit(store, { maxBatch: 100, maxInFlight: 1, maxWaiting: 100 });
    const first = group.submit('t', 'first');
    await new Promise((resolve) => setTimeout(resolve, 5)); // the first batch is now being stored
    const later = await Promise.all(['a', 'b', 'c'].map((item) => group.submit('t', item)));
    await first;
    expect(later).toEqual(['t:a', 't:b', 't:c']);
    expect(batches).toEqual([['first'], ['a', 'b', 'c']]);
  });

  it('cuts batches at maxBatch and keeps at most maxInFlight of a key going', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const group = new GroupCommit(
      async (_key: string, items: number[]) => {
        sizes.push(items.length);
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return items;
      },
      { maxBatch: 10, maxInFlight: 2, maxWaiting: 100 },
    );
    const outcomes = await Promise.all(Array.from({ length: 45 }, (_, i) => group.submit('t', i)));
    expect(outcomes).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(Math.max(...sizes)).toBe(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(45);
    expect(most).toBe(2);
  });

  it('retries a failed batch item by item: only the bad item fails', async () => {
    const { batches, store } = recordingStore(1);
    const group = new GroupCommit(store, { maxBatch: 100, maxInFlight: 1, maxWaiting: 100 });
    const settled = await Promise.allSettled(['a', 'bad', 'c'].map((item) => group.submit('t', item)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('bad item in t');
    expect(batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('refuses items beyond maxWaiting with 429 while a batch is in flight; the waiting ones still go', async () => {
    const { store } = recordingStore(20);
    const group = new GroupCommit(store, { maxBatch: 100, maxInFlight: 1, maxWaiting: 2 });
    const first = group.submit('t', 'first');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((item) => group.submit('t', item)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ status: 429, code: 'request.tenant_busy' });
    expect(await first).toBe('t:first');
    expect(await group.submit('other', 'x')).toBe('other:x');
  });
});
