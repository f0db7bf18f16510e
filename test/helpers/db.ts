/**
 * A fresh, migrated database for one test file, on the engine of the running project:
 * PGlite loaded from the template dump, or a PostgreSQL database copied from the template.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import type { Db } from '../../src/db/handle';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { serverUrl, withDatabase } from './server';

export const testEngine = (): 'pglite' | 'postgres' => (process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite');

export interface TestDatabase {
  db: Db;
  /** Connection URL of the server database (postgres only), for child processes. */
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (testEngine() === 'pglite') {
    const dump = await readFile(inject('pgliteTemplate'));
    const db = await openPglite({ loadDataDir: new Blob([dump]) });
    return { db, drop: () => db.close() };
  }
  const name = `oms_test_${randomBytes(6).toString('hex')}_${process.ppid}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl(), name);
  const db = openPostgres({ url, poolSize: options.poolSize ?? 10 });
  return {
    db,
    url,
    async drop() {
      await db.close();
      const dropper = new pg.Client({ connectionString: serverUrl() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
