/** rowMoves alone: each stock row's level before and after a transaction's changes, and the event it writes. */
import { describe, expect, it } from 'vitest';
import { rowMoves, type StockChange } from './ledger';

const change = (over: Partial<StockChange>): StockChange => ({
  hub_id: 'h1',
  sku_id: 's1',
  delta_on_hand: 0,
  delta_reserved: 0,
  delta_held: 0,
  on_hand_after: 10,
  reserved_after: 0,
  held_after: 0,
  reason: 'reserve',
  order_id: null,
  ...over,
});

describe('rowMoves', () => {
  it('takes the figures before the first change and after the last, per row, in first-seen order', () => {
    const moves = rowMoves([
      change({ delta_reserved: 2, reserved_after: 2, order_id: 'A' }),
      change({ sku_id: 's2', delta_on_hand: 5, on_hand_after: 5, reason: 'count' }),
      change({ delta_reserved: 3, reserved_after: 5, order_id: 'B' }),
    ]);
    expect(moves.map((m) => [m.sku_id, m.on_hand, m.reserved])).toEqual([
      ['s1', 10, 5],
      ['s2', 5, 0],
    ]);
    const first = JSON.parse(moves[0]!.event!);
    expect(first).toEqual({
      hub_id: 'h1',
      sku_id: 's1',
      before: { on_hand: 10, reserved: 0, held: 0, available: 10 },
      after: { on_hand: 10, reserved: 5, held: 0, available: 5 },
      reason: 'reserve',
      changes: [
        { reason: 'reserve', order_id: 'A', operation_id: null, hold_id: null, on_hand: 0, reserved: 2, held: 0 },
        { reason: 'reserve', order_id: 'B', operation_id: null, hold_id: null, on_hand: 0, reserved: 3, held: 0 },
      ],
    });
    expect(JSON.parse(moves[1]!.event!).before).toEqual({ on_hand: 0, reserved: 0, held: 0, available: 0 });
  });

  it("names the reason 'mixed' when a row's changes had several", () => {
    const [move] = rowMoves([
      change({ delta_reserved: 2, reserved_after: 2 }),
      change({ delta_reserved: -2, reserved_after: 0, reason: 'release', operation_id: 'op-1' }),
      change({ delta_on_hand: 1, on_hand_after: 11, reason: 'count' }),
    ]);
    expect(JSON.parse(move!.event!).reason).toBe('mixed');
  });

  it('writes no event for a row left as it was (a count to the same figure, or changes that cancel out)', () => {
    const moves = rowMoves([
      change({ reason: 'count' }),
      change({ sku_id: 's2', delta_reserved: 1, reserved_after: 1 }),
      change({ sku_id: 's2', delta_reserved: -1, reserved_after: 0, reason: 'release' }),
    ]);
    expect(moves.map((m) => m.event)).toEqual([null, null]);
    expect(moves.map((m) => [m.on_hand, m.reserved])).toEqual([
      [10, 0],
      [10, 0],
    ]);
  });
});
