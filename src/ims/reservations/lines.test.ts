/** planLines alone: one demand per (hub, SKU), in lock order, and every unknown reference named. */
import { describe, expect, it } from 'vitest';
import { FieldErrors } from '../../shared/errors';
import { planLines } from './lines';

const ref = (id: string, code: string) => ({ id, code, name: code });
const known = {
  skus: new Map([
    ['X', ref('sku-2', 'X')],
    ['sku-2', ref('sku-2', 'X')],
    ['Y', ref('sku-1', 'Y')],
  ]),
  hubs: new Map([
    ['A', ref('hub-2', 'A')],
    ['B', ref('hub-1', 'B')],
  ]),
};

describe('planLines', () => {
  it('sums lines of one SKU at one hub (by code or id), sorts by hub then SKU id, and leaves hubless lines last', () => {
    const errors = new FieldErrors();
    const lines = planLines(
      [
        { sku: 'X', quantity: 1, hub: 'A' },
        { sku: 'sku-2', quantity: 2, hub: 'A' },
        { sku: 'Y', quantity: 1, hub: 'B' },
        { sku: 'X', quantity: 4 },
      ],
      known,
      undefined,
      errors,
      'items',
    );
    expect(() => errors.throwIfAny()).not.toThrow();
    expect(lines.map((l) => [l.hub?.code ?? null, l.code, l.quantity])).toEqual([
      ['B', 'Y', 1],
      ['A', 'X', 3],
      [null, 'X', 4],
    ]);
  });

  it('an item without a hub takes the default hub', () => {
    const lines = planLines([{ sku: 'X', quantity: 1 }], known, ref('hub-1', 'B'), new FieldErrors(), 'items');
    expect(lines).toEqual([{ sku_id: 'sku-2', code: 'X', quantity: 1, hub: { id: 'hub-1', code: 'B' } }]);
  });

  it('names every unknown SKU and hub by its field, and plans none of their lines', () => {
    const errors = new FieldErrors();
    const lines = planLines(
      [
        { sku: 'NOPE', quantity: 1, hub: 'A' },
        { sku: 'X', quantity: 1, hub: 'ZZ' },
      ],
      known,
      undefined,
      errors,
      'reservations[3].items',
    );
    expect(lines).toEqual([]);
    expect(() => errors.throwIfAny()).toThrow();
    try {
      errors.throwIfAny();
    } catch (error) {
      expect(JSON.stringify(error)).toContain('reservations[3].items[0].sku');
      expect(JSON.stringify(error)).toContain('reservations[3].items[1].hub');
    }
  });
});
