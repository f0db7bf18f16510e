/**
 * A database that a child process can open too, for crash tests: the server's test database,
 * or a PGlite data directory on disk (opened by one process at a time).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { openPglite } from '../../src/db/pglite';
import type { Db } from '../../src/db/handle';
import { createTestDatabase, testEngine, type TestDatabase } from './db';

export interface SharedDatabase {
  /** What the child process is given: the server URL or the PGlite directory. */
  target: string;
  /** Runs `work` on the database, opening (and closing) PGlite around it. */
  with<T>(work: (db: Db) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function createSharedDatabase(): Promise<SharedDatabase> {
  let server: TestDatabase | undefined;
  let dir: string | undefined;
  if (testEngine() === 'postgres') {
    server = await createTestDatabase({ poolSize: 4 });
  } else {
    dir = await mkdtemp(path.join(os.tmpdir(), 'oms-shared-'));
    const db = await openPglite({ dataDir: dir, loadDataDir: new Blob([await readFile(inject('pgliteTemplate'))]) });
    await db.close();
  }
  return {
    target: server?.url ?? dir!,
    async with(work) {
      if (server) return work(server.db);
      const db = await openPglite({ dataDir: dir! });
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    },
    async drop() {
      await server?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
