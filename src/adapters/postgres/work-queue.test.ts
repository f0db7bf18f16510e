// What only the table queue has; the port's shared rules are in ../work-queue.contract.test.ts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db';
import { DbWorkQueue } from './work-queue';

let database: TestDatabase;
let queue: DbWorkQueue;
beforeAll(async () => {
  database = await createTestDatabase();
  queue = new DbWorkQueue(database.db, { maxAttempts: 2 });
});
afterAll(() => database.drop());

it('dedupes sends by key while pending, and tells idle workers when the next job becomes visible', async () => {
  await queue.send('q1', { n: 1 }, { dedupeKey: 'k' });
  await queue.send('q1', { n: 2 }, { dedupeKey: 'k' }); // same key while pending: nothing new
  const [job] = await queue.receive<{ n: number }>('q1', { max: 5, visibilityMs: 60_000 });
  expect(job).toMatchObject({ payload: { n: 1 }, attempt: 1 });
  expect(await queue.receive('q1', { max: 5, visibilityMs: 60_000 })).toEqual([]);
  expect(await queue.fail(job!, 'boom')).toBe('retry');
  expect(await queue.nextVisibleInMs('q1')).toBeGreaterThan(0);
  await database.db.query(`UPDATE queue.jobs SET visible_at = now() WHERE queue = 'q1'`); // skip the backoff
  const [again] = await queue.receive('q1', { max: 5, visibilityMs: 60_000 });
  await queue.ack(again!);
  expect(await queue.nextVisibleInMs('q1')).toBeUndefined();
  await queue.send('q1', { n: 3 }, { dedupeKey: 'k' }); // the key is free again once the job is done
  expect(await queue.receive('q1', { max: 5, visibilityMs: 60_000 })).toHaveLength(1);
});
