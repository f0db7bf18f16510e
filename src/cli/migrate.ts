/** `oms migrate`: applies pending migrations and exits. */
import type { Config } from '../config/index';
import { migrate } from '../db/migrate';
import { openDatabase } from '../db/open';

export async function migrateCommand(config: Config): Promise<void> {
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'Nothing to apply; the schema is current.\n');
  } finally {
    await db.close();
  }
}
