/**
 * Ingests one upload: streams its object through the CSV parser, validates rows in batches,
 * and stores each batch's orders with their order.created events and the upload's counters in
 * one transaction. The counters' checkpoint (rows_done) makes a retried job resume after the
 * last committed batch, so every row is counted once and no order is created twice.
 */
import { createHash } from 'node:crypto';
import { CsvError, parse } from 'csv-parse';
import type { Logger } from 'pino';
import { pgErrorOf, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { GrowingTables } from '../../db/statistics';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { EVENTS_CHANNEL } from '../../events/outbox';
import { ObjectNotFoundError, type ObjectStore } from '../../ports/object-store';
import type { InventoryClient } from '../../ports/inventory-client';
import { copyOrdersWithEvents, ensureCustomersByEmail, type OrderToInsert } from '../orders/create-repository';
import type { OrderCustomer } from '../orders/model';
import { BatchBuilder, type BatchOrders, type FileContext } from './batch-builder';
import { decimalSeparatorOf, detectDelimiter, LayoutError, mapHeader, type ColumnMap } from './csv-layout';
import { composeErrors, writeErrorsPart } from './errors-file';
import { finishUpload, getUpload, markProcessing, recordBatch, saveHeader, type UploadRow } from './repository';
import { BatchPipeline, type Checkpoint } from './batch-pipeline';
import { OrderBatcher } from './order-batcher';
import { parseRow, type ParsedLine } from './row-parser';

/** What went wrong, in our words: the parser's own message is not for tenants. */
function csvProblem(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is never closed (a " without its closing ")';
    case 'CSV_MAX_RECORD_SIZE':
      return `a row is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted cell has more text after its closing quote';
    default:
      return `it breaks the CSV format (${error.code})`;
  }
}

/** A record bigger than this fails the upload: nothing legitimate in an order row comes close. */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;
export interface IngesterOptions {
  batchRows?: number;
  logger?: Logger;
}

/** Another delivery of the same job moved the checkpoint: this one must stop. */
export class UploadTakenOverError extends Error {}

/** A reference was taken between validation and insert: roll back and validate again. */
class ReferenceRaceError extends Error {}

export class UploadIngester {
  private readonly builder: BatchBuilder;
  private readonly batchRows: number;
  private readonly tables: GrowingTables;

  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    inventory: InventoryClient,
    private readonly options: IngesterOptions = {},
  ) {
    this.builder = new BatchBuilder(db, inventory);
    this.batchRows = options.batchRows ?? 1000;
    this.tables = new GrowingTables(db, ['oms.orders', 'oms.events', 'oms.customers']);
  }

  /** Processes (or resumes) the upload; a no-op for one already finished. */
  async ingest(uploadId: string, heartbeat: () => Promise<void> = async () => {}): Promise<void> {
    let upload = await getUpload(this.db, uploadId);
    if (!upload || upload.status === 'completed' || upload.status === 'failed') return;
    try {
      const learnt = {
        content_sha256: upload.content_sha256 ?? (await this.hashObject(upload.object_key, heartbeat)),
        delimiter: upload.delimiter ?? detectDelimiter(await this.firstChunk(upload.object_key)),
      };
      await markProcessing(this.db, uploadId, learnt);
      upload = { ...upload, ...learnt, status: 'processing' };
      await this.stream(upload, heartbeat);
    } catch (error) {
      if (error instanceof LayoutError) return finishUpload(this.db, uploadId, { status: 'failed', error: error.message });
      if (error instanceof ObjectNotFoundError)
        return finishUpload(this.db, uploadId, { status: 'failed', error: `the file ${error.key} is not in the object store` });
      if (error instanceof CsvError) {
        // The parser cannot go on (an unclosed quote, a record beyond the size limit): rows
        // before it are stored, the rest of the file cannot be read.
        return finishUpload(this.db, uploadId, {
          status: 'failed',
          error: `the file is not readable CSV after row ${(error as { records?: number }).records ?? '?'}: ${csvProblem(error)}`,
        });
      }
      throw error;
    }
  }

  /** The file's digest; reading a big file takes a while, so the job's lease is kept meanwhile. */
  private async hashObject(key: string, heartbeat: () => Promise<void>): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of await this.store.get(key)) {
      hash.update(chunk as Buffer);
      await heartbeat(); // cheap: it extends the lease only every third of its length
    }
    return hash.digest('hex');
  }

  private async firstChunk(key: string): Promise<string> {
    const stream = await this.store.get(key);
    for await (const chunk of stream) {
      stream.destroy();
      return (chunk as Buffer).toString('utf8');
    }
    return '';
  }

  private async stream(upload: UploadRow, heartbeat: () => Promise<void>): Promise<void> {
    const parser = (await this.store.get(upload.object_key)).pipe(
      // relax_quotes: a stray quote inside an unquoted cell is kept as a character, not a fatal error.
      parse({
        bom: true,
        delimiter: upload.delimiter!,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        max_record_size: MAX_RECORD_BYTES,
      }),
    );
    const file: FileContext = {
      uploadId: upload.id,
      tenantId: upload.tenant_id ?? undefined,
      contentHash: upload.content_sha256!.slice(0, 16),
      tenants: new Map(),
      invalidReferences: new Set(),
    };
    const decimal = decimalSeparatorOf(upload);
    const batcher = new OrderBatcher(this.batchRows);
    const batches = new BatchPipeline(
      upload,
      (lines) => this.builder.build(file, fresh(lines)),
      (lines, checkpoint, built) => this.storeBatch(file, lines, checkpoint, built).then(heartbeat),
    );
    let header: string[] | undefined;
    let columns: ColumnMap = {};
    let dataRow = 0;

    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!header) {
          if (record.some((name) => name.includes('\u0000'))) throw new LayoutError('The header row contains a NUL character: this is not a CSV text file');
          header = record;
          columns = mapHeader(header);
          if (!upload.header) await saveHeader(this.db, upload.id, header);
          continue;
        }
        dataRow++;
        if (dataRow <= upload.rows_done) continue; // committed by an earlier delivery of this job
        const batch = batcher.add(parseRow({ number: dataRow + 1, values: record }, columns, header.length, decimal));
        // The parser has read up to this row's end: the batch's rows end a little before it.
        if (batch) await batches.flush(batch, parser.info.bytes);
      }
    } catch (error) {
      // Let the batch in flight finish (or fail) before the upload is marked failed.
      await batches.drain().catch(() => undefined);
      throw error;
    }
    if (!header) throw new LayoutError('The file is empty: it has no header row');
    const last = batcher.take();
    if (last.length > 0) await batches.flush(last, parser.info.bytes);
    await batches.drain();
    const errorsFile = await composeErrors(this.store, upload.id, header, batches.count);
    await finishUpload(this.db, upload.id, { status: 'completed', errors_file: errorsFile });
  }

  /**
   * Validates and stores one batch. Its errors part is written first (a retry rewrites it), then
   * orders, events and counters commit together. A reference taken meanwhile by someone else
   * rolls the batch back, and validating again reports it.
   */
  private async storeBatch(file: FileContext, lines: ParsedLine[], { rowsDone, batch, bytesDone }: Checkpoint, prebuilt: Promise<BatchOrders>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const built = attempt === 1 ? await prebuilt : await this.builder.build(file, fresh(lines));
      if (built.invalid.length > 0) await writeErrorsPart(this.store, file.uploadId, batch, built.invalid);
      const stored = await this.db
        .transaction(async (tx) => {
          let created = 0;
          // Several tenants' orders (an admin upload) commit together or not at all.
          for (const [tenantId, orders] of built.byTenant) {
            if (orders.length === 0) continue;
            const scope = new TenantTx(tx, tenantId);
            const withCustomers = await resolveCustomers(
              scope,
              orders.map((o) => o.insert),
            );
            await copyOrdersWithEvents(scope, withCustomers).catch((error: unknown) => {
              const pgError = pgErrorOf(error);
              throw pgError?.code === PG_UNIQUE_VIOLATION && pgError.constraint === 'orders_reference_unique' ? new ReferenceRaceError() : error;
            });
            created += orders.length;
          }
          const validRows = countRows(built);
          if (
            !(await recordBatch(tx, file.uploadId, rowsDone, {
              rows: lines.length,
              valid: validRows,
              invalid: built.invalid.length,
              ordersCreated: created,
              bytesDone,
            }))
          ) {
            throw new UploadTakenOverError(`upload ${file.uploadId} was advanced by another worker`);
          }
          if (created > 0) tx.notify(EVENTS_CHANNEL);
          return created;
        })
        .catch((error: unknown) => {
          if (error instanceof ReferenceRaceError) return undefined;
          throw error;
        });
      if (stored !== undefined) return this.tables.wrote(stored);
      if (attempt >= 5) throw new Error(`batch ${batch} of upload ${file.uploadId} kept losing references to concurrent writers`);
    }
  }
}

/** Each order with its customer: named by id (resolved whole by the builder), by e-mail (found or created here, once per address for the batch), or none. */
async function resolveCustomers(scope: TenantScope, orders: readonly OrderToInsert[]) {
  const people = orders.flatMap((o) =>
    o.customer.id === undefined && o.customer.email !== undefined ? [{ name: o.customer.name ?? o.customer.email, email: o.customer.email }] : [],
  );
  const byEmail = await ensureCustomersByEmail(scope, people);
  return orders.map((o) => {
    const { id, name, email } = o.customer;
    let customer: OrderCustomer | undefined;
    if (id !== undefined) {
      if (name === undefined || email === undefined) throw new Error(`customer ${id} was not resolved`);
      customer = { id, name, email };
    } else if (email !== undefined) {
      customer = byEmail.get(email);
      if (!customer) throw new Error(`no customer could be found or created for ${email}`);
    }
    return { order: o.order, event: o.event, ...(customer ? { customer } : {}) };
  });
}

/** Copies of the lines for one build: the builder adds reasons to a line's errors. */
function fresh(lines: readonly ParsedLine[]): ParsedLine[] {
  return lines.map((l) => ({ ...l, errors: [...l.errors] }));
}

function countRows(built: BatchOrders): number {
  let n = 0;
  for (const orders of built.byTenant.values()) for (const o of orders) n += o.rows.length;
  return n;
}
