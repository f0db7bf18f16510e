/**
 * The ledger's column list is written once (CHANGE_COLUMNS: the changes' unnest and the ledger
 * INSERT both read it). This holds it to the table: a column added to ims.inventory_transactions
 * without a default must be added to the list too, or this fails.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app';
import { CHANGE_COLUMNS } from './ledger';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

it('every column of the ledger is written by applyStockChanges, or has a default', async () => {
  const columns = await t.ctx.db.query<{ column_name: string; has_default: boolean }>(
    `SELECT column_name, column_default IS NOT NULL OR is_identity = 'YES' AS has_default
     FROM information_schema.columns WHERE table_schema = 'ims' AND table_name = 'inventory_transactions' ORDER BY ordinal_position`,
  );
  const written = new Set<string>(['tenant_id', ...CHANGE_COLUMNS.map(([name]) => name)]);
  expect(columns.filter((c) => !c.has_default && !written.has(c.column_name)).map((c) => c.column_name)).toEqual([]);
  expect([...written].filter((name) => !columns.some((c) => c.column_name === name))).toEqual([]);
});
