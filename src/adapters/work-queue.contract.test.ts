/**
 * The WorkQueue port's contract, run against every implementation: the database table (on the
 * project's engine: PGlite or the PostgreSQL server) and SQS (ElasticMQ when it runs, as in
 * CI, else fauxqs started here on loopback: test/helpers/emulators). Then the JobWorker on SQS: long polling that stops at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db';
import { ENGINE_CREDENTIALS, SQS_ENGINE, startSqs, type SqsEmulator } from '../../test/helpers/emulators';
import { eventually } from '../../test/helpers/eventually';
import type { WorkQueue } from '../ports/work-queue';
import { JobWorker } from '../shared/job-worker';
import { DbWorkQueue } from './postgres/work-queue';
import { SqsWorkQueue } from './sqs/work-queue';

let database: TestDatabase;
let sqs: SqsEmulator;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  [database, sqs] = await Promise.all([createTestDatabase(), startSqs()]);
});
afterAll(async () => {
  for (const close of closers) await close();
  await sqs?.stop();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let queueCount = 0;

/** A queue with two attempts before a job is dead, under a fresh name. */
const implementations: [string, () => Promise<[WorkQueue, string]>][] = [
  ['database table', async () => [new DbWorkQueue(database.db, { maxAttempts: 2 }), `q${++queueCount}`]],
  [
    `SQS (${SQS_ENGINE})`,
    async () => {
      const name = `q${++queueCount}`;
      const url = await sqs.createQueue(`oms-${name}`, 2);
      const queue = new SqsWorkQueue({ queues: { [name]: url }, credentials: ENGINE_CREDENTIALS, endpoint: sqs.endpoint, waitSeconds: 0 });
      closers.push(() => queue.close());
      return [queue, name];
    },
  ],
];

for (const [engine, open] of implementations) {
  describe(`WorkQueue contract: ${engine}`, () => {
    it('hides a received job, takes it back on retry after a backoff, then parks it as dead, and revives it', async () => {
      const [queue, name] = await open();
      await queue.send(name, { n: 1 });
      const [job] = await queue.receive<{ n: number }>(name, { max: 5, visibilityMs: 60_000 });
      expect(job).toMatchObject({ payload: { n: 1 }, attempt: 1, maxAttempts: 2 });
      expect(await queue.receive(name, { max: 5, visibilityMs: 60_000 })).toEqual([]); // invisible
      expect(await queue.fail(job!, 'boom')).toBe('retry');
      expect(await queue.receive(name, { max: 5, visibilityMs: 60_000 })).toEqual([]); // backing off (at least 1 s)
      let again: Awaited<ReturnType<WorkQueue['receive']>>[number] | undefined;
      await eventually(async () => {
        [again] = await queue.receive(name, { max: 5, visibilityMs: 60_000 });
        expect(again).toBeDefined();
      }, 4000);
      expect(again!.attempt).toBe(2);
      expect(await queue.extend(job!, 1000)).toBe(false); // a stale delivery cannot touch it
      expect(await queue.extend(again!, 60_000)).toBe(true);
      expect(await queue.fail(again!, 'boom again')).toBe('dead');
      const dead = await queue.deadLetters(name, 10);
      expect(dead).toMatchObject([{ payload: { n: 1 }, attempts: 2, last_error: 'boom again' }]);
      expect(await queue.retryDead(dead[0]!.id)).toBe(true);
      expect(await queue.retryDead(dead[0]!.id)).toBe(false);
      const [revived] = await queue.receive<{ n: number }>(name, { max: 5, visibilityMs: 60_000 });
      expect(revived).toMatchObject({ payload: { n: 1 }, attempt: 1 });
      await queue.ack(revived!);
      expect(await queue.deadLetters(name, 10)).toEqual([]);
    });

    it('a job whose worker died reappears after its visibility timeout, with the next attempt number', async () => {
      const [queue, name] = await open();
      await queue.send(name, { n: 1 });
      expect(await queue.receive(name, { max: 1, visibilityMs: 1000 })).toHaveLength(1);
      const [again] = await eventually(async () => {
        const jobs = await queue.receive(name, { max: 1, visibilityMs: 60_000 });
        expect(jobs).toHaveLength(1);
        return jobs;
      });
      expect(again!.attempt).toBe(2);
    });

    it('acknowledges many jobs at once, and each job is received once', async () => {
      const [queue, name] = await open();
      const sent = Array.from({ length: 25 }, (_, n) => n);
      await Promise.all(sent.map((n) => queue.send(name, { n })));
      const received: number[] = [];
      for (let round = 0; round < 20 && received.length < sent.length; round++) {
        const jobs = await queue.receive<{ n: number }>(name, { max: 10, visibilityMs: 60_000 });
        received.push(...jobs.map((job) => job.payload.n));
        await Promise.all(jobs.map((job) => queue.ack(job)));
      }
      expect(received.sort((a, b) => a - b)).toEqual(sent);
      expect(await queue.receive(name, { max: 10, visibilityMs: 60_000 })).toEqual([]);
    });

    it('honours a send delay', async () => {
      const [queue, name] = await open();
      await queue.send(name, { late: true }, { delayMs: 1000 });
      expect(await queue.receive(name, { max: 1, visibilityMs: 60_000 })).toEqual([]);
      await eventually(async () => expect(await queue.receive(name, { max: 1, visibilityMs: 60_000 })).toHaveLength(1));
    });
  });
}

describe('JobWorker on SQS', () => {
  it('runs jobs through long polls, retries a failing one, and stops at once in the middle of a long poll', async () => {
    const url = await sqs.createQueue('oms-worker', 3);
    const queue = new SqsWorkQueue({ queues: { work: url }, credentials: ENGINE_CREDENTIALS, endpoint: sqs.endpoint, waitSeconds: 20 });
    closers.push(() => queue.close());
    const done: number[] = [];
    let failures = 0;
    const worker = new JobWorker<{ n: number }>(
      queue,
      'work',
      async (job, heartbeat) => {
        await heartbeat();
        if (job.payload.n === 3 && job.attempt === 1) {
          failures++;
          throw new Error('first try fails');
        }
        done.push(job.payload.n);
      },
      { visibilityMs: 30_000, concurrency: 4 },
    );
    await worker.start();
    for (const n of [1, 2, 3, 4]) await queue.send('work', { n });
    await eventually(async () => expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]));
    expect(failures).toBe(1);
    // Give the idle worker time to enter its 20 s long poll (were it not in it yet, stop would be
    // quick anyway: the bound below is what the test holds the adapter to).
    await sleep(200);
    const stopping = Date.now();
    await worker.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000); // the 20 s long poll was cut short
  });
});
