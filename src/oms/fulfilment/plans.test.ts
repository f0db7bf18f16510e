/** planShipment and planReturn alone: every refusal decided before anything is written. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { planReturn, planShipment } from './plans';
import type { DeliveryRow, ReturnRow } from './repository';

const delivery = (id: string, hub: string, status: DeliveryRow['status'], items: [string, number][]): DeliveryRow =>
  ({
    id,
    order_id: 'o1',
    hub,
    hub_id: `hub-${hub}`,
    status,
    items: items.map(([sku, quantity]) => ({ sku, sku_id: `sku-${sku}`, quantity })),
  }) as DeliveryRow;
const returned = (hub: string, sku: string, quantity: number): ReturnRow =>
  ({ id: 'r', items: [{ sku, sku_id: `sku-${sku}`, hub, hub_id: `hub-${hub}`, quantity, disposition: 'restock' }] }) as ReturnRow;

/** The error a plan throws, as its code and fields. */
function refusal(plan: () => unknown): { status: number; code: string; fields?: string[] } {
  try {
    plan();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const fields = error.errors.map((e) => e.field);
    return { status: error.status, code: error.code, ...(fields.length > 0 ? { fields } : {}) };
  }
  throw new Error('the plan was not refused');
}

describe('planShipment', () => {
  const pending = delivery('d1', 'A', 'pending', [
    ['X', 3],
    ['Y', 1],
  ]);

  it('no items, or items covering the delivery whole (a SKU by code or id, summed): the whole delivery ships', () => {
    expect(planShipment(pending, undefined)).toEqual({ whole: true });
    expect(
      planShipment(pending, [
        { sku: 'X', quantity: 1 },
        { sku: 'sku-X', quantity: 2 },
        { sku: 'Y', quantity: 1 },
      ]),
    ).toEqual({ whole: true });
  });

  it('some units: those ship apart, the rest stays', () => {
    expect(planShipment(pending, [{ sku: 'X', quantity: 2 }])).toEqual({
      whole: false,
      shipped: [{ sku: 'X', sku_id: 'sku-X', quantity: 2 }],
      remaining: [
        { sku: 'X', sku_id: 'sku-X', quantity: 1 },
        { sku: 'Y', sku_id: 'sku-Y', quantity: 1 },
      ],
    });
  });

  it('a SKU the delivery does not hold, or more units than it holds: a 422 naming each item', () => {
    expect(
      refusal(() =>
        planShipment(pending, [
          { sku: 'Z', quantity: 1 },
          { sku: 'X', quantity: 2 },
          { sku: 'X', quantity: 2 },
        ]),
      ),
    ).toMatchObject({ status: 422, fields: ['items[0].sku', 'items[2].quantity'] });
  });
});

describe('planReturn', () => {
  const deliveries = [delivery('d1', 'A', 'delivered', [['X', 2]]), delivery('d2', 'B', 'delivered', [['X', 2]]), delivery('d3', 'A', 'shipped', [['Y', 5]])];

  it('places each unit on the hub it was delivered from, oldest delivery first', () => {
    expect(planReturn(deliveries, [], [{ sku: 'X', quantity: 3, disposition: 'restock' }])).toEqual([
      { sku: 'X', sku_id: 'sku-X', hub: 'A', hub_id: 'hub-A', quantity: 2, disposition: 'restock' },
      { sku: 'X', sku_id: 'sku-X', hub: 'B', hub_id: 'hub-B', quantity: 1, disposition: 'restock' },
    ]);
  });

  it('units returned before are no longer returnable there', () => {
    expect(planReturn(deliveries, [returned('A', 'X', 2)], [{ sku: 'X', quantity: 1, disposition: 'damaged' }])).toEqual([
      { sku: 'X', sku_id: 'sku-X', hub: 'B', hub_id: 'hub-B', quantity: 1, disposition: 'damaged' },
    ]);
    expect(refusal(() => planReturn(deliveries, [returned('A', 'X', 2)], [{ sku: 'X', quantity: 3, disposition: 'restock' }]))).toMatchObject({
      status: 409,
      code: 'return.exceeds_delivered',
    });
  });

  it('a SKU only shipped (not delivered), or never on the order: a 422 naming the item', () => {
    expect(
      refusal(() =>
        planReturn(
          deliveries,
          [],
          [
            { sku: 'X', quantity: 1, disposition: 'restock' },
            { sku: 'Y', quantity: 1, disposition: 'restock' },
          ],
        ),
      ),
    ).toMatchObject({ status: 422, fields: ['items[1].sku'] });
  });
});
