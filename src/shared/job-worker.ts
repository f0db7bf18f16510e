/**
 * Runs a handler over the jobs of one WorkQueue queue: woken by the queue's signal (and by a
 * timer when a retried job becomes visible), one job at a time per slot, keeping each job
 * hidden while its handler works (the handler calls `heartbeat` between steps), acknowledging
 * it on success and failing it (retry with backoff, then dead) on error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { outageBackoffMs, unavailableDependency } from './dependency';
import { Wakeable } from './wakeable';
import { LoopStatus } from './loop-status';
import type { Job, WorkQueue } from '../ports/work-queue';

/** "Not now": the job is acknowledged, and the same payload sent again after `afterMs`. */
export interface Again {
  again: { afterMs: number; dedupeKey?: string };
}

export type JobHandler<T> = (job: Job<T>, heartbeat: () => Promise<void>) => Promise<void | Again>;

export interface JobWorkerOptions<T> {
  visibilityMs: number;
  concurrency?: number;
  /** Called once a job is dead (attempts used up): the place to mark its work failed. */
  onDead?: (job: Job<T>, error: string) => Promise<void>;
  onError?: (error: unknown, job?: Job<T>) => void;
  /** Where the worker reports its state (loop-status.ts). */
  status?: LoopStatus;
}

/** The job is no longer this worker's (its visibility ran out and another worker took it). */
export class JobLostError extends Error {
  constructor(job: Job) {
    super(`job ${job.id} was taken over by another delivery`);
    this.name = 'JobLostError';
  }
}

export class JobWorker<T> {
  private stopped = false;
  private running = 0;
  private loop: Promise<void> | undefined;
  /** Woken by the queue (a job sent), a finished job (a free slot) and stop(). */
  private readonly wakeup = new Wakeable();
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Receives under way: drain() must not conclude "idle" while one may still bring a job. */
  private readonly receiving = new Set<Promise<unknown>>();
  /** Jobs waiting out a dependency's outage: while there are any, no job is received (see outlastingOutages). */
  private outages = 0;
  /** Ends a receive that is waiting for jobs (a long poll) when the worker stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly queue: WorkQueue,
    private readonly name: string,
    private readonly handler: JobHandler<T>,
    private readonly options: JobWorkerOptions<T>,
  ) {
    this.status = options.status ?? new LoopStatus(name);
  }

  private readonly status: LoopStatus;

  /** Working while a job is in hand; waiting while one waits out an outage. */
  private report(): void {
    this.status.set(this.stopped ? 'stopped' : this.outages > 0 ? 'waiting' : this.running > 0 ? 'working' : 'idle');
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.queue.subscribe(this.name, () => this.wakeup.wake());
    this.loop = this.run();
  }

  /** Runs until no job is visible and none is in hand (tests call this instead of sleeping). */
  async drain(): Promise<void> {
    for (;;) {
      await Promise.allSettled(this.receiving);
      const started = await this.fill(false);
      if (started === 0 && this.inFlight.size === 0 && this.receiving.size === 0) return;
      await Promise.race([...this.inFlight, ...this.receiving]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.wakeup.close();
    await this.loop;
    await Promise.allSettled(this.inFlight);
    await this.unsubscribe?.();
    this.report();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.wakeup.clear(); // what woke us is looked at now
      let started = 0;
      let failed = false;
      try {
        started = await this.fill();
        this.report();
      } catch (error) {
        this.status.failed(error);
        this.options.onError?.(error);
        failed = true;
      }
      if (started > 0 || this.stopped) continue;
      // After a failed receive, wait a second rather than spin on an unreachable queue, whatever
      // woke us meanwhile.
      if (failed) this.wakeup.clear();
      const next = failed ? 1000 : await this.queue.nextVisibleInMs(this.name).catch(() => undefined);
      await this.wakeup.wait(Math.min(next ?? 30_000, 30_000) + 5);
    }
  }

  /** Receives as many jobs as there are free slots and starts them; answers how many. `wait`: may long-poll. */
  private async fill(wait = true): Promise<number> {
    const free = (this.options.concurrency ?? 1) - this.running;
    if (free <= 0 || this.stopped || this.outages > 0) return 0;
    this.running += free; // reserve the slots while receiving
    let jobs: Job<T>[] = [];
    const receive = this.queue.receive<T>(this.name, { max: free, visibilityMs: this.options.visibilityMs, wait, signal: this.stopping.signal });
    this.receiving.add(receive);
    try {
      jobs = await receive;
    } finally {
      this.running -= free - jobs.length;
      this.receiving.delete(receive);
    }
    for (const job of jobs) {
      const work = this.process(job).finally(() => {
        this.running--;
        this.inFlight.delete(work);
        this.report();
        this.wakeup.wake();
      });
      this.inFlight.add(work);
    }
    return jobs.length;
  }

  private async process(job: Job<T>): Promise<void> {
    try {
      if (job.attempt > job.maxAttempts) {
        // Every earlier delivery died without failing the job (a crashing worker): give up.
        await this.dead(job, `gave up after ${job.maxAttempts} attempts that did not finish`);
        return;
      }
      let extendedAt = Date.now();
      const heartbeat = async () => {
        if (Date.now() - extendedAt < this.options.visibilityMs / 3) return;
        if (!(await this.queue.extend(job, this.options.visibilityMs))) throw new JobLostError(job);
        extendedAt = Date.now();
      };
      const outcome = await this.outlastingOutages(job, heartbeat);
      await this.queue.ack(job);
      if (outcome) this.sendAgain(job, outcome.again);
    } catch (error) {
      if (error instanceof JobLostError) return this.options.onError?.(error, job);
      this.options.onError?.(error, job);
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await this.queue.fail(job, message).catch(() => 'retry' as const);
      if (outcome === 'dead') await this.options.onDead?.(job, message).catch((e: unknown) => this.options.onError?.(e, job));
    }
  }

  /**
   * Runs the handler; while a dependency is away (the database restarting, the object store
   * down), waits and runs it again (handlers resume where they were), keeping the job hidden.
   * Such a failure is not the job's fault: it never counts towards the job's attempts, which
   * exist to stop a file that fails, or kills its worker, by itself.
   */
  private async outlastingOutages(job: Job<T>, heartbeat: () => Promise<void>): Promise<void | Again> {
    // While this job waits, nothing is received: back in the queue when its lease lapses during
    // a long outage, it would be received again (its attempts counted) before it is extended here.
    let waiting = false;
    try {
      for (let tries = 0; ; tries++) {
        try {
          return await this.handler(job, heartbeat);
        } catch (error) {
          if (this.stopped || !unavailableDependency(error)) throw error;
          if (!waiting) this.outages++;
          waiting = true;
          this.report();
          if (tries % 10 === 0) this.options.onError?.(error, job);
          await sleep(outageBackoffMs(tries, 5_000), undefined, { signal: this.stopping.signal }).catch(() => undefined);
          // Keep the job ours; a heartbeat that cannot reach the queue is tried again next time round.
          await heartbeat().catch((lost: unknown) => {
            if (lost instanceof JobLostError) throw lost;
          });
        }
      }
    } finally {
      if (waiting) this.outages--;
    }
  }

  /**
   * Sends a payload again after a while. The wait is kept here rather than as a queue delay, so
   * that drain() waits for it and a stopping worker sends it at once instead of dropping it.
   */
  private sendAgain(job: Job<T>, again: Again['again']): void {
    const later: Promise<void> = sleep(again.afterMs, undefined, { signal: this.stopping.signal })
      .catch(() => undefined) // stopping: send it now
      .then(() => this.queue.send(this.name, job.payload, { dedupeKey: again.dedupeKey, maxAttempts: job.maxAttempts }))
      .then(
        () => undefined,
        (error: unknown) => this.options.onError?.(error),
      )
      .finally(() => this.inFlight.delete(later));
    this.inFlight.add(later);
  }

  private async dead(job: Job<T>, message: string): Promise<void> {
    await this.queue.fail(job, message, { dead: true });
    await this.options.onDead?.(job, message);
  }
}
