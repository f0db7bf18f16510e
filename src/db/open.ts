import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config/index';
import type { Db } from './handle';
import { openPglite } from './pglite';
import { lockDataDir } from './pglite-lock';
import { DiskGuard } from './disk-guard';
import { openPostgres } from './postgres';

/** Opens the database the configuration names: the server when DATABASE_URL is set, else PGlite. */
export async function openDatabase(config: Config, onBackgroundError?: (error: unknown) => void): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutSeconds * 1000,
      onBackgroundError,
    });
  }
  const dataDir = path.join(config.dataDir, 'pglite');
  await mkdir(dataDir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  try {
    const guard = new DiskGuard(config.dataDir, config.dataDirMinFreeMb * 1024 * 1024);
    await guard.start();
    const db = await openPglite({ dataDir, onBackgroundError, guard });
    return { ...db, close: () => db.close().finally(unlock) } as Db;
  } catch (error) {
    unlock();
    throw error;
  }
}
