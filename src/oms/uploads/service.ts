/**
 * Bulk uploads: a file streamed into the object store (or one already there) is recorded as an
 * upload and handed to the ingest worker through the work queue. Reads answer its progress and
 * its errors CSV.
 */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { newId } from '../../shared/ids';
import { asOutageOf } from '../../shared/dependency';
import { inRequestTransaction, outsideRequestTransaction } from '../../db/request-transaction';
import type { Db } from '../../db/handle';
import { assertObjectKey, InvalidObjectKeyError, safeFileName, type ObjectStore } from '../../ports/object-store';
import type { WorkQueue } from '../../ports/work-queue';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { AppError, notFound, invalid } from '../../shared/errors';
import { errorsHeader, streamErrors } from './errors-file';
import { countUploadsByStatus, deleteQueuedUpload, getUpload, insertUpload, isObjectOfTenant, listUploads, staleUploads, type UploadRow } from './repository';
import { UPLOAD_STATUSES, type UploadStatus } from './statuses';

export const INGEST_QUEUE = 'ingest';

export interface IngestJob {
  upload_id: string;
}

/** Who acts: a tenant, or the admin without one (an upload whose rows name their tenants). */
export interface Actor {
  tenantId?: string;
}

export class FileTooLargeError extends Error {}

/** How a file is written, when the uploader says so; unsaid, it is detected (see csv-layout.ts). */
export interface CsvFormat {
  delimiter?: string;
  decimalSeparator?: '.' | ',';
}

/**
 * Deliveries of an upload's job before it is given up (marked failed). Counted when a delivery
 * starts, so a file that kills its worker (the process dies on it) is tried this many times in
 * all, not forever; a worker stopped for an ordinary reason resumes where it was.
 */
export const INGEST_ATTEMPTS = 3;

export class UploadService {
  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly queue: WorkQueue,
    private readonly maxUploadBytes: number,
    /** Uploads one tenant may have queued or processing at once. */
    private readonly maxInFlight = 10,
  ) {}

  /** The tenant's uploads in each status, every status present. */
  async countByStatus(tenantId: string): Promise<Record<UploadStatus, number>> {
    const counts = await countUploadsByStatus(this.db, tenantId);
    return Object.fromEntries(UPLOAD_STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<UploadStatus, number>;
  }

  /** 429 when the tenant has as many uploads waiting or running as it may (a hint, not a lock: two at once may both pass). */
  private async assertRoom(actor: Actor): Promise<void> {
    if (!actor.tenantId) return;
    const counts = await countUploadsByStatus(this.db, actor.tenantId);
    const inFlight = (counts.queued ?? 0) + (counts.processing ?? 0);
    if (inFlight >= this.maxInFlight)
      throw new AppError(429, 'upload.too_many_in_flight', { limit: this.maxInFlight }, { extensions: { retry_after_seconds: 30 } });
  }

  /** Streams `file` into the store (hashing and measuring it on the way), records the upload, queues its job. */
  /**
   * `requestEnded`: resolves once the whole request body has arrived. A multipart body that ends
   * inside the file leaves busboy's file stream hanging (no data, no end, no error): a file still
   * unfinished a second after the request ended was cut off, and fails with a 400.
   */
  async upload(actor: Actor, file: { filename: string; stream: Readable; requestEnded?: Promise<unknown> }, format: CsvFormat = {}) {
    // Checked before the file streams in, outside the request's transaction: a long upload must not hold it open.
    await outsideRequestTransaction(() => this.assertRoom(actor)).catch((error: unknown) => {
      file.stream.resume(); // let the request finish so the answer can be sent
      throw error;
    });
    const id = newId();
    const objectKey = `uploads/${new Date().toISOString().replace(/[-:.]/g, '')}_${id}_${safeFileName(file.filename)}`;
    const hash = createHash('sha256');
    let size = 0;
    let sniffed = false;
    const limit = this.maxUploadBytes;
    let stall: NodeJS.Timeout | undefined;
    let ended = false;
    const watch = () => {
      clearTimeout(stall);
      // The meter, not busboy's stream: destroying that one tells nobody.
      if (ended) stall = setTimeout(() => meter.destroy(new Error('Unexpected end of form')), 1000);
    };
    void file.requestEnded?.then(() => {
      ended = true;
      watch();
    });
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        watch();
        size += chunk.length;
        if (size > limit) return done(new FileTooLargeError());
        if (!sniffed) {
          sniffed = true;
          // A NUL byte never occurs in UTF-8 text: a spreadsheet, an image or a zip has them early.
          if (chunk.subarray(0, 8192).includes(0)) return done(new AppError(415, 'upload.not_csv', { reason: 'it contains binary data' }));
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      // pipeline() (not pipe) so the meter's error also tears down the source, handled once, by put().
      await this.store
        .put(
          objectKey,
          pipeline(file.stream, meter, () => undefined),
        )
        .finally(() => {
          ended = false;
          clearTimeout(stall);
        });
    } catch (error) {
      file.stream.resume(); // let the request finish so the answer can be sent
      if (error instanceof FileTooLargeError || (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new AppError(413, 'upload.too_large', { limit });
      }
      throw error;
    }
    return this.record(actor, { id, filename: safeFileName(file.filename), objectKey, format, size, sha256: hash.digest('hex') });
  }

  /** Ingests an object already in the store. A tenant may name its own uploads' objects or keys under imports/{tenant id}/. */
  async import(actor: Actor, objectKey: string, format: CsvFormat = {}) {
    // The checks (one of them a call to the object store) run outside the request's transaction: it opens with the record.
    const size = await outsideRequestTransaction(() => this.checkImport(actor, objectKey));
    return this.record(actor, { id: newId(), filename: objectKey.split('/').pop()!, objectKey, format, size });
  }

  /** The tenant's room, the key's form and ownership, and the object's size (404 when absent). */
  private async checkImport(actor: Actor, objectKey: string): Promise<number> {
    await this.assertRoom(actor);
    try {
      assertObjectKey(objectKey);
    } catch (error) {
      if (!(error instanceof InvalidObjectKeyError)) throw error;
      throw invalid([{ field: 'object_key', code: 'field.object_key', params: { reason: error.message.replace(/^invalid object key: /, '') } }]);
    }
    if (actor.tenantId) {
      const prefix = `imports/${actor.tenantId}/`;
      if (!objectKey.startsWith(prefix) && !(await isObjectOfTenant(this.db, actor.tenantId, objectKey)))
        throw new AppError(403, 'upload.object_forbidden', { prefix });
    }
    const info = await this.store.head(objectKey);
    if (!info) throw new AppError(404, 'upload.object_not_found', { key: objectKey });
    return info.size;
  }

  private async record(actor: Actor, upload: { id: string; filename: string; objectKey: string; format: CsvFormat; size: number; sha256?: string }) {
    const row = {
      id: upload.id,
      tenant_id: actor.tenantId ?? null,
      filename: upload.filename,
      object_key: upload.objectKey,
      delimiter: upload.format.delimiter ?? null,
      decimal_separator: upload.format.decimalSeparator ?? null,
      size_bytes: upload.size,
      content_sha256: upload.sha256 ?? null,
    };
    const answer = { upload_id: upload.id, status: 'queued' as const, object_key: upload.objectKey };
    if (inRequestTransaction()) {
      // A request with an Idempotency-Key: the upload commits with the key's answer, and its job
      // is sent after that commit (never before: a worker would not find the upload). A send
      // that fails then is sent again by resendLost().
      await this.db.transaction(async (tx) => {
        await insertUpload(tx, row);
        tx.onCommit(() => void this.sendJob(upload.id).catch(() => undefined));
      });
      return answer;
    }
    await insertUpload(this.db, row);
    // Sent after the upload is recorded; if this process dies in between, resendLost() sends it.
    // A queue that cannot take it: the upload is taken back and the client told 503, so nothing
    // waits unseen for a job that was never sent (and if even that fails, resendLost() sends it).
    try {
      await this.sendJob(upload.id);
    } catch (error) {
      await deleteQueuedUpload(this.db, upload.id).catch(() => undefined);
      throw asOutageOf('queue', error);
    }
    return answer;
  }

  private sendJob(uploadId: string): Promise<void> {
    return this.queue.send(INGEST_QUEUE, { upload_id: uploadId } satisfies IngestJob, { dedupeKey: uploadId, maxAttempts: INGEST_ATTEMPTS });
  }

  async get(actor: Actor, id: string) {
    return present(await this.row(actor, id));
  }

  async list(actor: Actor, query: { status?: UploadStatus; limit: number; cursor?: string }) {
    const rows = await listUploads(this.db, actor.tenantId, { status: query.status, before: decodeCursor(query.cursor), limit: query.limit + 1 });
    const page = toPage(rows, query.limit, (r) => r.id);
    return { data: page.data.map(present), next_cursor: page.next_cursor };
  }

  /** The errors CSV: the finished file, or while the upload runs, the batches committed so far. */
  async errors(actor: Actor, id: string): Promise<Readable | string> {
    const upload = await this.row(actor, id);
    if (upload.errors_file) return this.store.get(upload.errors_file);
    if (!upload.header) return '';
    if (upload.status === 'completed') return errorsHeader(upload.header);
    return streamErrors(this.store, upload.id, upload.header, upload.batches_done);
  }

  /** Sends again the jobs of uploads left unfinished and untouched (a send lost to a crash, a dead worker). */
  async resendLost(olderThanMs: number): Promise<number> {
    const stale = await staleUploads(this.db, olderThanMs);
    for (const { id } of stale) await this.sendJob(id);
    return stale.length;
  }

  private async row(actor: Actor, id: string): Promise<UploadRow> {
    const row = isUuid(id) ? await getUpload(this.db, id, actor.tenantId) : undefined;
    if (!row) throw notFound('Upload', id);
    return row;
  }
}

function present(row: UploadRow) {
  return {
    id: row.id,
    ...(row.tenant_id ? { tenant_id: row.tenant_id } : {}),
    status: row.status,
    filename: row.filename,
    object_key: row.object_key,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    bytes_done: Number(row.bytes_done),
    rows_total: row.rows_total,
    rows_valid: row.rows_valid,
    rows_invalid: row.rows_invalid,
    orders_created: row.orders_created,
    ...(row.errors_file ? { errors_file: row.errors_file } : {}),
    ...(row.error ? { error: row.error } : {}),
    created_at: row.created_at,
    ...(row.started_at ? { started_at: row.started_at } : {}),
    ...(row.finished_at ? { finished_at: row.finished_at } : {}),
  };
}
