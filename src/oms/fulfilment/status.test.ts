/** statusFrom alone: an order's status follows its deliveries and returns. */
import { describe, expect, it } from 'vitest';
import { statusFrom } from './status';

const d = (status: 'pending' | 'shipped' | 'delivered' | 'cancelled', quantity = 1) => ({ status, items: [{ quantity }] });
const r = (quantity: number) => ({ items: [{ quantity }] });

describe('statusFrom', () => {
  it.each([
    ['every delivery pending', [d('pending'), d('pending')], [], 'new_order'],
    ['one shipped, one pending', [d('shipped'), d('pending')], [], 'partially_shipped'],
    ['every live one shipped (a cancelled one aside)', [d('shipped'), d('cancelled')], [], 'shipped'],
    ['shipped and delivered', [d('delivered'), d('shipped')], [], 'shipped'],
    ['all delivered', [d('delivered'), d('delivered')], [], 'delivered'],
    ['all cancelled', [d('cancelled')], [], 'cancelled'],
    ['no deliveries', [], [], 'cancelled'],
    ['part of what was delivered came back', [d('delivered', 3)], [r(1)], 'partially_returned'],
    ['all of it came back', [d('delivered', 3)], [r(1), r(2)], 'returned'],
    ['a return while more is still on its way', [d('delivered', 1), d('shipped', 1)], [r(1)], 'partially_returned'],
  ] as const)('%s → %s', (_name, deliveries, returns, status) => {
    expect(statusFrom(deliveries, returns)).toBe(status);
  });
});
