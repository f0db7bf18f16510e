/**
 * Calls `work` for every item with at most `limit` calls in flight: a fixed pool of workers,
 * each taking the next item when it is done with one. Rejects with the first failure.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}
