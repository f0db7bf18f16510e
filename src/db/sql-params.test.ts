import { describe, expect, it } from 'vitest';
import { SqlParams } from './sql-params';

describe('SqlParams', () => {
  it('numbers placeholders in the order the pieces ask, from the first given', () => {
    const params = new SqlParams(2);
    expect(params.add('a')).toBe('$2');
    expect(params.add([1, 2], 'int8[]')).toBe('$3::int8[]');
    expect(params.add(null)).toBe('$4');
    expect(params.values).toEqual(['a', [1, 2], null]);
  });

  it('unnests rows column by column, a missing value as NULL', () => {
    const params = new SqlParams(2);
    const rows = [{ id: 'a', n: 1 }, { id: 'b' }] as { id: string; n?: number }[];
    expect(
      params.unnest(rows, [
        ['id', 'text'],
        ['n', 'int8'],
      ]),
    ).toBe('unnest($2::text[], $3::int8[])');
    expect(params.values).toEqual([
      ['a', 'b'],
      [1, null],
    ]);
  });
});
