/**
 * SQL of uploads. Not a TenantScope: an admin upload has no tenant (its rows name theirs), so
 * every read takes the caller's tenant explicitly and filters by it unless the caller is the
 * admin without a tenant.
 */
import type { Queryable } from '../../db/handle';
import type { UploadStatus } from './statuses';

export interface UploadRow {
  id: string;
  tenant_id: string | null;
  status: UploadStatus;
  filename: string;
  object_key: string;
  delimiter: string | null;
  decimal_separator: '.' | ',' | null;
  header: string[] | null;
  size_bytes: string | null;
  bytes_done: string;
  content_sha256: string | null;
  rows_total: number;
  rows_valid: number;
  rows_invalid: number;
  orders_created: number;
  rows_done: number;
  batches_done: number;
  errors_file: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = `id, tenant_id, status, filename, object_key, delimiter, decimal_separator, header, size_bytes::text, bytes_done::text, content_sha256, rows_total, rows_valid,
  rows_invalid, orders_created, rows_done, batches_done, errors_file, error, created_at, started_at, finished_at`;

/** `tenantId` undefined: the admin without a tenant, who sees every upload. */
const VISIBLE = '($2::uuid IS NULL OR tenant_id = $2::uuid)';

export async function insertUpload(
  db: Queryable,
  upload: {
    id: string;
    tenant_id: string | null;
    filename: string;
    object_key: string;
    delimiter: string | null;
    decimal_separator: '.' | ',' | null;
    size_bytes: number | null;
    content_sha256: string | null;
  },
): Promise<UploadRow> {
  const rows = await db.query<UploadRow>(
    `INSERT INTO oms.uploads (id, tenant_id, filename, object_key, delimiter, decimal_separator, size_bytes, content_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [upload.id, upload.tenant_id, upload.filename, upload.object_key, upload.delimiter, upload.decimal_separator, upload.size_bytes, upload.content_sha256],
  );
  return rows[0]!;
}

export async function getUpload(db: Queryable, id: string, tenantId?: string): Promise<UploadRow | undefined> {
  const rows = await db.query<UploadRow>(`SELECT ${COLUMNS} FROM oms.uploads WHERE id = $1 AND ${VISIBLE}`, [id, tenantId ?? null]);
  return rows[0];
}

export async function listUploads(
  db: Queryable,
  tenantId: string | undefined,
  filter: { status?: UploadStatus; before?: string; limit: number },
): Promise<UploadRow[]> {
  return db.query<UploadRow>(
    `SELECT ${COLUMNS} FROM oms.uploads WHERE ($1::uuid IS NULL OR tenant_id = $1::uuid)
       AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3::uuid)
     ORDER BY id DESC LIMIT $4`,
    [tenantId ?? null, filter.status ?? null, filter.before ?? null, filter.limit],
  );
}

export async function countUploadsByStatus(db: Queryable, tenantId: string): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int8 AS n FROM oms.uploads WHERE tenant_id = $1 GROUP BY status', [
    tenantId,
  ]);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** queued → processing (a retried job finds it processing already); remembers what the first pass learnt. */
export async function markProcessing(db: Queryable, id: string, learnt: { content_sha256: string; delimiter: string }): Promise<void> {
  await db.query(
    `UPDATE oms.uploads SET status = 'processing', started_at = coalesce(started_at, now()), updated_at = now(),
       content_sha256 = coalesce(content_sha256, $2), delimiter = coalesce(delimiter, $3)
     WHERE id = $1 AND status IN ('queued', 'processing')`,
    [id, learnt.content_sha256, learnt.delimiter],
  );
}

export async function saveHeader(db: Queryable, id: string, header: string[]): Promise<void> {
  await db.query('UPDATE oms.uploads SET header = $2 WHERE id = $1', [id, JSON.stringify(header)]);
}

export interface BatchProgress {
  rows: number;
  valid: number;
  invalid: number;
  ordersCreated: number;
  /** Bytes of the file read up to the end of this batch. */
  bytesDone: number;
}

/**
 * Counts a batch, in the transaction that stored its orders. The checkpoint compare makes a
 * second worker on the same upload (a duplicate delivery) fail instead of counting twice.
 */
export async function recordBatch(tx: Queryable, id: string, expectedRowsDone: number, progress: BatchProgress): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE oms.uploads SET rows_done = rows_done + $3, rows_total = rows_total + $3, rows_valid = rows_valid + $4,
       rows_invalid = rows_invalid + $5, orders_created = orders_created + $6, batches_done = batches_done + 1,
       bytes_done = greatest(bytes_done, $7), updated_at = now()
     WHERE id = $1 AND rows_done = $2 AND status = 'processing' RETURNING id`,
    [id, expectedRowsDone, progress.rows, progress.valid, progress.invalid, progress.ordersCreated, progress.bytesDone],
  );
  return rows.length === 1;
}

export async function finishUpload(
  db: Queryable,
  id: string,
  outcome: { status: 'completed' | 'failed'; errors_file?: string | null; error?: string },
): Promise<void> {
  await db.query(
    `UPDATE oms.uploads SET status = $2, errors_file = $3, error = $4, finished_at = now(), updated_at = now(),
       bytes_done = CASE WHEN $2 = 'completed' THEN coalesce(size_bytes, bytes_done) ELSE bytes_done END
     WHERE id = $1 AND status IN ('queued', 'processing')`,
    [id, outcome.status, outcome.errors_file ?? null, outcome.error?.slice(0, 2000) ?? null],
  );
}

/** Takes back an upload whose job could not be sent (nothing has read it yet). */
export async function deleteQueuedUpload(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM oms.uploads WHERE id = $1 AND status = 'queued' AND rows_total = 0`, [id]);
}

/** Unfinished uploads not touched for a while: their job may have been lost before it was sent. */
export async function staleUploads(db: Queryable, olderThanMs: number): Promise<{ id: string }[]> {
  return db.query<{ id: string }>(
    `SELECT id FROM oms.uploads WHERE status IN ('queued', 'processing') AND updated_at < now() - $1 * interval '1 millisecond' ORDER BY id LIMIT 1000`,
    [olderThanMs],
  );
}

/** Whether one of the tenant's uploads already names this object (a file it uploaded before). */
export async function isObjectOfTenant(db: Queryable, tenantId: string, objectKey: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM oms.uploads WHERE tenant_id = $1 AND object_key = $2 LIMIT 1', [tenantId, objectKey]);
  return rows.length > 0;
}
