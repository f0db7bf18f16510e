import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db';
import { migrate, pendingMigrations } from './migrate';
import { migrations } from './migrations/registry';
import { DataDirInUseError, lockDataDir } from './pglite-lock';
import { TenantScope } from './tenant-scope';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query('CREATE TABLE public.t (tenant_id text, x int)');
});
afterAll(() => database.drop());

describe('database handle', () => {
  it('commits, and runs onCommit callbacks only after a commit', async () => {
    const calls: string[] = [];
    await database.db.transaction(async (tx) => {
      await tx.query("INSERT INTO public.t VALUES ('a', 1)");
      tx.onCommit(() => calls.push('committed'));
      expect(calls).toEqual([]);
    });
    expect(calls).toEqual(['committed']);
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query("INSERT INTO public.t VALUES ('a', 2)");
        tx.onCommit(() => calls.push('never'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(calls).toEqual(['committed']);
    expect(await database.db.query('SELECT x FROM public.t ORDER BY x')).toEqual([{ x: 1 }]);
  });

  it('a failed statement rolls back its transaction and leaves the connection usable', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.query("INSERT INTO public.t VALUES ('b', 3)");
        await tx.query('SELECT * FROM no_such_table');
      }),
    ).rejects.toMatchObject({ code: '42P01' });
    expect(await database.db.query("SELECT count(*)::int8 AS n FROM public.t WHERE tenant_id = 'b'")).toEqual([{ n: 0 }]);
  });

  it('concurrent transactions do not see or keep each other’s rolled-back rows', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        database.db
          .transaction(async (tx) => {
            await tx.query("INSERT INTO public.t VALUES ('c', $1)", [i]);
            if (i % 2) throw new Error('odd');
          })
          .catch(() => undefined),
      ),
    );
    const rows = await database.db.query<{ x: number }>("SELECT x FROM public.t WHERE tenant_id = 'c' ORDER BY x");
    expect(rows.map((r) => r.x)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it('the tenant scope refuses SQL that does not filter by tenant_id = $1', async () => {
    const scope = new TenantScope(database.db, 'a');
    expect(() => scope.query('SELECT * FROM public.t')).toThrow(/tenant_id/);
    expect(await scope.query('SELECT x FROM public.t WHERE tenant_id = $1')).toEqual([{ x: 1 }]);
  });

  it('migrations are recorded and applied once; a new one is pending until applied', async () => {
    expect(await pendingMigrations(database.db)).toEqual([]);
    expect(await migrate(database.db)).toEqual([]);
    const extra = [...migrations, { id: '29991231-test', up: 'CREATE TABLE public.later (id int)', down: 'DROP TABLE public.later' }];
    expect(await pendingMigrations(database.db, extra)).toEqual(['29991231-test']);
    expect(await migrate(database.db, extra)).toEqual(['29991231-test']);
    expect(await pendingMigrations(database.db, extra)).toEqual([]);
  });
});

describe('embedded data directory lock', () => {
  it('refuses a second owner while the first lives, and takes over a dead owner’s lock', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oms-lock-'));
    try {
      const release = lockDataDir(dir);
      const { writeFileSync } = await import('node:fs');
      // Our own pid counts as alive: pretend another live process (the test runner's parent) owns it.
      writeFileSync(path.join(dir, 'oms.lock'), String(process.ppid));
      expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
      writeFileSync(path.join(dir, 'oms.lock'), '999999999'); // no such process
      const again = lockDataDir(dir);
      again();
      release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
