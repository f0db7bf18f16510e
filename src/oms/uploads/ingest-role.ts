/**
 * Runs the ingest role: a JobWorker over the ingest queue, one upload at a time per process
 * (ingest is CPU- and database-heavy; run more processes for more). Uploads whose job was lost
 * are re-sent at start and every few minutes.
 */
import type { AppContext } from '../../context';
import type { Job } from '../../ports/work-queue';
import { JobLostError, JobWorker } from '../../shared/job-worker';
import type { RunningRole } from '../orders/finalizer-role';
import { finishUpload } from './repository';
import { UploadIngester, UploadTakenOverError } from './ingester';
import { INGEST_QUEUE, type IngestJob } from './service';

export interface IngestRoleOptions {
  /** How long a received job stays hidden without a heartbeat (a dead worker's job reappears after it). */
  visibilityMs?: number;
  /** Unfinished uploads untouched this long get their job sent again. */
  resendAfterMs?: number;
}

export async function startIngest(ctx: AppContext, options: IngestRoleOptions = {}): Promise<RunningRole> {
  const ingester = new UploadIngester(ctx.db, ctx.objectStore, ctx.oms.inventory, { batchRows: ctx.config.ingestBatchRows, logger: ctx.logger });
  const ingest = async (job: Job<IngestJob>, heartbeat: () => Promise<void>) => {
    try {
      await ingester.ingest(job.payload.upload_id, heartbeat);
    } catch (error) {
      // Another worker holds the upload now (this one's lease ran out): it is theirs to finish,
      // not a failure to count against the job's attempts.
      throw error instanceof UploadTakenOverError ? new JobLostError(job) : error;
    }
  };
  const worker = new JobWorker<IngestJob>(ctx.queue, INGEST_QUEUE, ingest, {
    visibilityMs: options.visibilityMs ?? ctx.config.ingestVisibilitySeconds * 1000,
    onDead: (job, error) => finishUpload(ctx.db, job.payload.upload_id, { status: 'failed', error: `ingest gave up: ${error}` }),
    onError: (error, job) => ctx.logger.warn({ err: error, job: job?.id }, 'ingest job failed'),
  });
  const resendAfterMs = options.resendAfterMs ?? 5 * 60_000;
  const resend = () => ctx.oms.uploads.resendLost(resendAfterMs).catch((error: unknown) => ctx.logger.warn({ err: error }, 'resending lost ingest jobs failed'));
  await resend();
  const timer = setInterval(resend, resendAfterMs);
  timer.unref();
  await worker.start();
  return {
    drain: () => worker.drain(),
    async stop() {
      clearInterval(timer);
      await worker.stop();
    },
  };
}
