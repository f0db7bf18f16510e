import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/helpers/db';
import { copyTarget, copyText } from './copy-text';

describe('copyText / Tx.copyFrom', () => {
  it('escapes what COPY text format treats specially, and round-trips through the database', async () => {
    const awkward = ['tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', '', 'plain ünïcödé'];
    const text = copyText(awkward.map((v, i) => [i, v, { v }, null]));
    expect(text.split('\n')).toHaveLength(awkward.length + 1);
    const database = await createTestDatabase({ poolSize: 2 });
    const { db } = database;
    try {
      const rows = await db.transaction(async (tx) => {
        await tx.exec('CREATE TEMP TABLE copy_probe (n int, t text, j jsonb, z text)');
        await tx.copyFrom('copy_probe', ['n', 't', 'j', 'z'], text);
        return tx.query<{ n: number; t: string; j: { v: string }; z: string | null }>('SELECT n, t, j, z FROM copy_probe ORDER BY n');
      });
      expect(rows.map((r) => r.t)).toEqual(awkward);
      expect(rows.map((r) => r.j.v)).toEqual(awkward);
      expect(rows.every((r) => r.z === null)).toBe(true);
    } finally {
      await database.drop();
    }
  });

  it('accepts only plain SQL names as the target', () => {
    expect(copyTarget('oms.orders', ['id', 'tenant_id'])).toBe('oms.orders (id, tenant_id)');
    expect(() => copyTarget('oms.orders; DROP TABLE x', ['id'])).toThrow(/plain SQL name/);
    expect(() => copyTarget('t', ["id) FROM PROGRAM 'x' --"])).toThrow(/plain SQL name/);
  });
});
