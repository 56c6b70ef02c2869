import { strict as assert } from 'node:assert';
import { ORDER_STATUSES, type OrderStatus } from '../../domain/order';
import { statusWrite } from '../../domain/order-status';

describe('order status writes', function () {
  it('moves forward along the lifecycle', function () {
    const moves: Array<[OrderStatus, OrderStatus]> = [
      ['awaiting_payment', 'confirmed'],
      ['awaiting_payment', 'cancelled'],
      ['awaiting_payment', 'expired'],
      ['confirmed', 'shipped'],
      ['confirmed', 'delivered'],
      ['confirmed', 'cancelled'],
      ['shipped', 'delivered'],
      ['delivered', 'returned'],
    ];
    for (const [from, to] of moves) assert.equal(statusWrite(from, to), 'move', `${from} → ${to}`);
  });

  it('treats a repeat of the current status as nothing to do', function () {
    for (const status of ORDER_STATUSES) assert.equal(statusWrite(status, status), 'repeat', status);
  });

  it('never moves backwards or out of a final status: a delivered order never becomes expired', function () {
    const refused: Array<[OrderStatus, OrderStatus]> = [
      ['delivered', 'expired'],
      ['delivered', 'cancelled'],
      ['shipped', 'cancelled'],
      ['shipped', 'confirmed'],
      ['confirmed', 'awaiting_payment'],
      ['confirmed', 'expired'],
      ['returned', 'delivered'],
      ['awaiting_payment', 'shipped'],
      ['awaiting_payment', 'returned'],
    ];
    for (const [from, to] of refused) assert.equal(statusWrite(from, to), 'refused', `${from} → ${to}`);
    for (const final of ['rejected', 'cancelled', 'expired', 'returned'] as const) {
      for (const to of ORDER_STATUSES.filter((status) => status !== final)) {
        assert.equal(statusWrite(final, to), 'refused', `${final} → ${to}`);
      }
    }
  });
});
