/** allocateOrder alone: which hub each line's units come from, under each policy, all or nothing. */
import { describe, expect, it } from 'vitest';
import { allocateOrder, type HubChoice } from './allocation';
import { stockKey, type LockedLevel } from '../stock/ledger';
import type { PlannedLine } from './lines';

const A: HubChoice = { id: 'hub-a', code: 'A', priority: 1 };
const B: HubChoice = { id: 'hub-b', code: 'B', priority: 2 };

/** Locked levels from [hub, sku, on_hand, reserved] rows. */
function levels(rows: [HubChoice, string, number, number?][]): Map<string, LockedLevel> {
  return new Map(
    rows.map(([hub, sku, on_hand, reserved = 0]) => [stockKey({ hub_id: hub.id, sku_id: sku }), { hub_id: hub.id, sku_id: sku, on_hand, reserved, held: 0 }]),
  );
}
const open = (sku: string, quantity: number): PlannedLine => ({ sku_id: sku, code: sku.toUpperCase(), quantity });
const named = (sku: string, quantity: number, hub: HubChoice): PlannedLine => ({ ...open(sku, quantity), hub: { id: hub.id, code: hub.code } });
const placed = (result: ReturnType<typeof allocateOrder>) =>
  result.ok ? result.lines.map((l) => [l.hub, l.code, l.quantity, l.allocation]) : result.shortages;

describe('allocateOrder', () => {
  it('a line naming its hub takes units there, or is short there (with what is free)', () => {
    const stock = levels([[A, 'x', 5, 2]]);
    expect(placed(allocateOrder([named('x', 3, A)], stock, [A, B], 'single_hub_first'))).toEqual([['A', 'X', 3, 'requested']]);
    expect(stock.get(stockKey({ hub_id: A.id, sku_id: 'x' }))!.reserved).toBe(5);
    expect(placed(allocateOrder([named('x', 1, A)], stock, [A, B], 'single_hub_first'))).toEqual([{ sku: 'X', hub: 'A', requested: 1, available: 0 }]);
  });

  it('single_hub_first: the first hub that can ship every open line, even when an earlier one has part', () => {
    const stock = levels([
      [A, 'x', 10],
      [A, 'y', 1],
      [B, 'x', 10],
      [B, 'y', 10],
    ]);
    expect(placed(allocateOrder([open('x', 2), open('y', 2)], stock, [A, B], 'single_hub_first'))).toEqual([
      ['B', 'X', 2, 'single_hub'],
      ['B', 'Y', 2, 'single_hub'],
    ]);
  });

  it('priority: each line from the hubs in priority order, split where one runs out, even when another hub has it all', () => {
    const stock = levels([
      [A, 'x', 10],
      [A, 'y', 1],
      [B, 'x', 10],
      [B, 'y', 10],
    ]);
    expect(placed(allocateOrder([open('x', 2), open('y', 2)], stock, [A, B], 'priority'))).toEqual([
      ['A', 'X', 2, 'priority'],
      ['A', 'Y', 1, 'priority'],
      ['B', 'Y', 1, 'priority'],
    ]);
  });

  it('single_hub_first falls back to splitting by priority when no one hub can ship it all', () => {
    const stock = levels([
      [A, 'x', 1],
      [B, 'x', 1],
    ]);
    expect(placed(allocateOrder([open('x', 2)], stock, [A, B], 'single_hub_first'))).toEqual([
      ['A', 'X', 1, 'priority'],
      ['B', 'X', 1, 'priority'],
    ]);
  });

  it('single_hub_only never splits: the order is short, naming each line, and takes nothing', () => {
    const stock = levels([
      [A, 'x', 5],
      [B, 'y', 5],
    ]);
    expect(placed(allocateOrder([open('x', 1), open('y', 1)], stock, [A, B], 'single_hub_only'))).toEqual([
      { sku: 'X', requested: 1, available: 0 },
      { sku: 'Y', requested: 1, available: 0 },
    ]);
    expect([...stock.values()].map((l) => l.reserved)).toEqual([0, 0]);
  });

  it('a hub the order already ships from (a named line) is tried first for its open lines', () => {
    const stock = levels([
      [A, 'x', 10],
      [B, 'x', 10],
      [B, 'y', 10],
    ]);
    expect(placed(allocateOrder([named('y', 1, B), open('x', 1)], stock, [A, B], 'single_hub_first'))).toEqual([
      ['B', 'X', 1, 'single_hub'],
      ['B', 'Y', 1, 'requested'],
    ]);
  });

  it('all or nothing: one short line leaves every level as it was', () => {
    const stock = levels([
      [A, 'x', 10],
      [A, 'y', 1],
    ]);
    const result = allocateOrder([open('x', 3), named('y', 2, A)], stock, [A], 'priority');
    expect(result.ok).toBe(false);
    expect([...stock.values()].map((l) => l.reserved)).toEqual([0, 0]);
  });
});
