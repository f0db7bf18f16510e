import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db';
import { GrowingTables } from './statistics';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query('CREATE TABLE public.growing (n int)');
});
afterAll(() => database.drop());

const insert = (from: number, count: number) =>
  database.db.query('INSERT INTO public.growing SELECT generate_series($1::int, $1::int + $2::int - 1)', [from, count]);
const plannerRows = async () =>
  (await database.db.query<{ rows: number }>("SELECT reltuples::int8 AS rows FROM pg_class WHERE oid = 'public.growing'::regclass"))[0]!.rows;

it('analyzes a bulk-written table each time it has doubled, not after every batch', async () => {
  const tables = new GrowingTables(database.db, ['public.growing'], 1000);
  const before = await plannerRows(); // never analyzed: the planner guesses (-1 on PostgreSQL 14+)
  await insert(0, 600);
  await tables.wrote(600);
  expect(await plannerRows()).toBe(before); // below the first threshold
  await insert(600, 600);
  await tables.wrote(600);
  expect(await plannerRows()).toBe(1200); // analyzed: the planner knows the size
  await insert(1200, 1000);
  await tables.wrote(1000);
  expect(await plannerRows()).toBe(1200); // grown by less than it held: not yet
  await insert(2200, 300);
  await tables.wrote(300);
  expect(await plannerRows()).toBe(2500); // doubled since: analyzed again
});
