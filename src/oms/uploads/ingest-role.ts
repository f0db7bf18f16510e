/**
 * Runs the ingest role: a JobWorker over the ingest queue, INGEST_CONCURRENCY uploads at once
 * per process but never two of one tenant: a tenant's second upload waits (its job comes back a
 * little later), so one tenant's big files cannot hold every slot while another tenant's small
 * file waits behind them. Uploads whose job was lost are re-sent at start and every visibility timeout (at least 30 s).
 */
import type { AppContext } from '../../context';
import type { Job } from '../../ports/work-queue';
import { JobLostError, JobWorker, type Again } from '../../shared/job-worker';
import type { RunningRole } from '../../shared/running-role';
import { finishUpload, getUpload } from './repository';
import { UploadIngester, UploadTakenOverError } from './ingester';
import { INGEST_QUEUE, type IngestJob } from './service';

/** How soon a tenant's upload that had to wait for its other one is tried again. */
const TENANT_BUSY_RETRY_MS = 2000;

export interface IngestRoleOptions {
  /** How long a received job stays hidden without a heartbeat (a dead worker's job reappears after it). */
  visibilityMs?: number;
  /** Unfinished uploads untouched this long get their job sent again. */
  resendAfterMs?: number;
}

export async function startIngest(ctx: AppContext, options: IngestRoleOptions = {}): Promise<RunningRole> {
  const ingester = new UploadIngester(ctx.db, ctx.objectStore, ctx.oms.inventory, { batchRows: ctx.config.ingestBatchRows, logger: ctx.logger });
  const busyTenants = new Set<string>();
  const ingest = async (job: Job<IngestJob>, heartbeat: () => Promise<void>): Promise<void | Again> => {
    const uploadId = job.payload.upload_id;
    const owner = (await getUpload(ctx.db, uploadId))?.tenant_id ?? 'admin';
    if (busyTenants.has(owner)) return { again: { afterMs: TENANT_BUSY_RETRY_MS, dedupeKey: uploadId } };
    busyTenants.add(owner);
    try {
      await ingester.ingest(uploadId, heartbeat);
    } catch (error) {
      // Another worker holds the upload now (this one's lease ran out): it is theirs to finish,
      // not a failure to count against the job's attempts.
      throw error instanceof UploadTakenOverError ? new JobLostError(job) : error;
    } finally {
      busyTenants.delete(owner);
    }
  };
  const worker = new JobWorker<IngestJob>(ctx.queue, INGEST_QUEUE, ingest, {
    concurrency: ctx.config.limits.ingestConcurrency,
    visibilityMs: options.visibilityMs ?? ctx.config.ingestVisibilitySeconds * 1000,
    // The reason stays in the log: a tenant reads a plain sentence, never a database's or a parser's message.
    onDead: (job, error) => {
      ctx.logger.error({ upload: job.payload.upload_id, error }, 'ingest gave up');
      return finishUpload(ctx.db, job.payload.upload_id, {
        status: 'failed',
        error: `ingest gave up after ${job.maxAttempts} attempts; the service log has the reason (upload ${job.payload.upload_id})`,
      });
    },
    onError: (error, job) => ctx.logger.warn({ err: error, job: job?.id }, 'ingest job failed'),
    status: ctx.loops.loop(`jobs:${INGEST_QUEUE}`),
  });
  // Seconds, not minutes: a job lost with a queue that went away costs the upload no more than this.
  const resendAfterMs = options.resendAfterMs ?? Math.max(30_000, ctx.config.ingestVisibilitySeconds * 1000);
  const resend = () =>
    ctx.oms.uploads.resendLost(resendAfterMs).catch((error: unknown) => ctx.logger.warn({ err: error }, 'resending lost ingest jobs failed'));
  await resend();
  const timer = setInterval(() => void resend(), resendAfterMs);
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
