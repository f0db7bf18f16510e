/**
 * Builds one migrated template database per project so that each test file gets a fresh
 * database in well under a second: a PGlite data-directory dump, or a PostgreSQL template
 * database copied with CREATE DATABASE … TEMPLATE.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { serverUrl, withDatabase } from './server';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  // The postgres projects ('postgres', and 'postgres-alone' for the files that run by themselves) each get a template.
  if (project.name.startsWith('postgres')) {
    const template = `oms_test_tpl_${project.name.replace(/\W/g, '_')}_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    const db = openPostgres({ url: withDatabase(serverUrl(), template), poolSize: 2 });
    await migrate(db);
    await db.close();
    project.provide('postgresTemplate', template);
    return async () => {
      // Drop the template and any database a crashed test file left behind.
      const leftovers = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`oms_test_%_${process.pid}%`]);
      for (const { datname } of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    };
  }

  const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-pglite-'));
  const db = await openPglite();
  await migrate(db);
  const dump = path.join(dir, 'template.tar');
  const blob = await db.dumpDataDir();
  await writeFile(dump, Buffer.from(await blob.arrayBuffer()));
  await db.close();
  project.provide('pgliteTemplate', dump);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
