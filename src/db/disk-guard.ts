/**
 * The embedded database's disk guard. PGlite that cannot create its next WAL segment does not
 * fail: it spins inside its commit, the process stops answering (even SIGTERM, whose handler
 * never gets a turn), and freeing space does not bring it back. So writes are refused before
 * PGlite is asked to make them, while the free space under DATA_DIR is below a minimum
 * (DATA_DIR_MIN_FREE_MB): a request gets a 503 naming the disk, background work waits
 * (shared/dependency.ts), /ready answers 503, and reads go on. The figure is read every half
 * second; the minimum leaves room for what a half second can write.
 */
import { statfs } from 'node:fs/promises';
import { DependencyUnavailable } from '../shared/dependency';

const CHECK_EVERY_MS = 500;

export class DiskGuard {
  private freeBytes = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    readonly minFreeBytes: number,
  ) {}

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const stats = await statfs(this.dir).catch(() => undefined);
    if (stats) this.freeBytes = stats.bavail * stats.bsize;
  }

  /** Why writes are refused now, or undefined when there is room. */
  problem(): string | undefined {
    if (this.freeBytes >= this.minFreeBytes) return undefined;
    const mb = (bytes: number) => Math.floor(bytes / 1024 / 1024);
    return `${mb(this.freeBytes)} MB free under DATA_DIR, below the minimum of ${mb(this.minFreeBytes)} MB`;
  }

  /** Throws (the disk is unavailable) when writes are refused. */
  assertRoom(): void {
    const problem = this.problem();
    if (problem) throw new DependencyUnavailable('disk', new Error(problem));
  }
}

/** Whether a statement may write: anything but a plain read (a SELECT, or a WITH whose parts all read). */
export const mayWrite = (sql: string): boolean =>
  !/^\s*(SELECT|SHOW|EXPLAIN|WITH)\b/i.test(sql) || /\b(INSERT\s+INTO|UPDATE\s+\S+(\s+(AS\s+)?\w+)?\s+SET|DELETE\s+FROM)\b/i.test(sql);
