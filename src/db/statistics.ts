/**
 * Planner statistics that keep up with a bulk load.
 *
 * PostgreSQL plans from statistics that autovacuum refreshes about once a minute, and PGlite
 * has no autovacuum at all. During a big upload the orders table grows tenfold in that time;
 * planned against a table it still believes tiny, a finalizer's batch of 500 status moves
 * hashed every order of the tenant instead of looking 500 up by key, slower with every batch.
 * Whoever bulk-writes counts the rows here, and the tables are analyzed each time they have
 * doubled: a handful of times per upload, each a small sample.
 */
import type { Db } from './handle';

export class GrowingTables {
  /** Rows written since the last ANALYZE. */
  private written = 0;
  /** Rows the first table held at the last ANALYZE (0: not analyzed by this process yet). */
  private size = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    /** Trusted names (schema.table); the first is the one whose size sets the pace. */
    private readonly tables: readonly string[],
    private readonly minRows = 10_000,
  ) {}

  /** Counts rows just written; analyzes the tables once they have grown by as much as they held. */
  async wrote(rows: number): Promise<void> {
    this.written += rows;
    if (this.running || this.written < Math.max(this.minRows, this.size)) return;
    this.written = 0;
    this.running = this.analyze().finally(() => (this.running = undefined));
    await this.running;
  }

  private async analyze(): Promise<void> {
    // A small sample (3,000 rows instead of 30,000) is enough to know how big the tables have
    // grown, and it keeps the pause short on PGlite, where nothing else runs meanwhile.
    await this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL default_statistics_target = 10');
      await tx.query(`ANALYZE ${this.tables.join(', ')}`);
    });
    const [first] = await this.db.query<{ rows: number }>('SELECT reltuples::int8 AS rows FROM pg_class WHERE oid = $1::regclass', [this.tables[0]]);
    this.size = Math.max(0, first?.rows ?? 0);
  }
}
