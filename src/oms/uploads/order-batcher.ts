/**
 * Cuts a file's parsed lines into batches: at INGEST_BATCH_ROWS rows or MAX_BATCH_CHARS
 * characters of cells, whichever comes first, and never between two lines of one order (an
 * order is created whole, so its lines must be validated together).
 */
import type { ParsedLine } from './row-parser';

/**
 * With cells capped (MAX_CELL_CHARS), what a batch holds is bounded whatever the file; the
 * character limit keeps a file of long cells from making batches of the full row count.
 */
const MAX_BATCH_CHARS = 4 * 1024 * 1024;
/** An order has at most as many lines as POST /orders allows; a longer one is invalid. */
const MAX_ORDER_LINES = 500;

export class OrderBatcher {
  private pending: ParsedLine[] = [];
  private pendingChars = 0;
  /** Lines so far of the order the last line belongs to. */
  private orderLines = 0;

  constructor(private readonly batchRows: number) {}

  /**
   * Takes the next line; answers the batch it closes, when the line starts a new one. An order
   * too long to be valid is marked so, and may then be cut.
   */
  add(line: ParsedLine): ParsedLine[] | undefined {
    const last = this.pending[this.pending.length - 1];
    const continuesOrder = last !== undefined && line.reference !== undefined && line.reference === last.reference;
    this.orderLines = continuesOrder ? this.orderLines + 1 : 1;
    if (this.orderLines > MAX_ORDER_LINES) line.errors.push(`order ${line.reference} has more than ${MAX_ORDER_LINES} lines`);
    const full = this.pending.length >= this.batchRows || this.pendingChars >= MAX_BATCH_CHARS;
    const closed = full && (!continuesOrder || this.orderLines > MAX_ORDER_LINES) ? this.take() : undefined;
    this.pending.push(line);
    for (const value of line.row.values) this.pendingChars += value.length;
    return closed;
  }

  /** The lines not yet in a batch (the file's last batch), leaving none. */
  take(): ParsedLine[] {
    const batch = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    return batch;
  }
}
