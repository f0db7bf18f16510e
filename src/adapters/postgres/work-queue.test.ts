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

it('hides a received job, dedupes sends, retries with backoff, then parks it as dead', async () => {
  await queue.send('q1', { n: 1 }, { dedupeKey: 'k' });
  await queue.send('q1', { n: 2 }, { dedupeKey: 'k' }); // same key while pending: nothing new
  const [job] = await queue.receive<{ n: number }>('q1', { max: 5, visibilityMs: 60_000 });
  expect(job).toMatchObject({ payload: { n: 1 }, attempt: 1 });
  expect(await queue.receive('q1', { max: 5, visibilityMs: 60_000 })).toEqual([]); // invisible
  expect(await queue.fail(job!, 'boom')).toBe('retry');
  expect(await queue.nextVisibleInMs('q1')).toBeGreaterThan(0);
  await database.db.query(`UPDATE queue.jobs SET visible_at = now() WHERE queue = 'q1'`); // skip the backoff
  const [again] = await queue.receive('q1', { max: 5, visibilityMs: 60_000 });
  expect(again!.attempt).toBe(2);
  expect(await queue.extend(job!, 1000)).toBe(false); // a stale delivery cannot touch it
  expect(await queue.fail(again!, 'boom again')).toBe('dead');
  const dead = await queue.deadLetters('q1', 10);
  expect(dead).toMatchObject([{ payload: { n: 1 }, attempts: 2, last_error: 'boom again' }]);
  expect(await queue.retryDead(dead[0]!.id)).toBe(true);
  const [revived] = await queue.receive('q1', { max: 5, visibilityMs: 1 });
  await queue.ack(revived!);
  expect(await queue.nextVisibleInMs('q1')).toBeUndefined();
});

it('a job whose worker died reappears after its visibility timeout', async () => {
  await queue.send('q2', { n: 1 });
  expect(await queue.receive('q2', { max: 1, visibilityMs: 50 })).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 80));
  expect((await queue.receive('q2', { max: 1, visibilityMs: 50 }))[0]!.attempt).toBe(2);
});
