/**
 * Applies pending migrations, each in its own transaction, under a session-independent
 * transaction-level advisory lock so that several processes starting at once apply each
 * migration exactly once.
 */
import type { Db } from './handle';
import type { Migration } from './migrations/migration';
import { migrations as registry } from './migrations/registry';

// An arbitrary constant: the advisory lock key reserved for migrations.
const MIGRATION_LOCK_KEY = 7_405_332_001;

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS public.schema_migrations (
    id text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

export async function migrate(db: Db, migrations: readonly Migration[] = registry): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        await tx.exec(CREATE_LEDGER);
        const done = await tx.query('SELECT 1 FROM public.schema_migrations WHERE id = $1', [migration.id]);
        if (done.length > 0) return false;
        await tx.exec(migration.up);
        await tx.query('INSERT INTO public.schema_migrations (id) VALUES ($1)', [migration.id]);
        return true;
      },
      { unbounded: true },
    );
    if (ran) applied.push(migration.id);
  }
  return applied;
}

/** The ids of registered migrations that have not been applied yet (readiness check). */
export async function pendingMigrations(db: Db, migrations: readonly Migration[] = registry): Promise<string[]> {
  const exists = await db.query<{ present: boolean }>(`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present`);
  if (!exists[0]?.present) return migrations.map((m) => m.id);
  const rows = await db.query<{ id: string }>('SELECT id FROM public.schema_migrations');
  const done = new Set(rows.map((r) => r.id));
  return migrations.filter((m) => !done.has(m.id)).map((m) => m.id);
}
