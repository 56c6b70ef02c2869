import { strict as assert } from 'node:assert';
import { loadConfig } from '../../domain/config';
import { stockAlerts } from '../../domain/stock';
import { levelEvents, type LevelChange } from '../../domain/stock-events';

const level = (onHand: number, reserved: number, lowStockThreshold: number) => ({ onHand, reserved, lowStockThreshold });

describe('stock alerts', () => {
  it('announces low stock when available falls to the threshold, once per fall', () => {
    assert.deepEqual(stockAlerts(level(10, 0, 3), level(10, 7, 3)), ['low_stock']);
    assert.deepEqual(stockAlerts(level(10, 7, 3), level(10, 8, 3)), [], 'already low');
    assert.deepEqual(stockAlerts(level(10, 8, 3), level(10, 1, 3)), [], 'rising announces nothing');
    assert.deepEqual(stockAlerts(level(10, 1, 3), level(10, 7, 3)), ['low_stock'], 'the next fall announces again');
  });

  it('announces out of stock when available reaches 0, and both when one change crosses both lines', () => {
    assert.deepEqual(stockAlerts(level(5, 4, 0), level(5, 5, 0)), ['out_of_stock']);
    assert.deepEqual(stockAlerts(level(10, 0, 3), level(1, 1, 3)), ['low_stock', 'out_of_stock']);
    assert.deepEqual(stockAlerts(level(0, 0, 0), level(0, 0, 0)), [], 'an empty level stays silent');
  });

  it('says nothing of low stock without a threshold, and judges a new threshold against the old', () => {
    assert.deepEqual(stockAlerts(level(10, 0, 0), level(10, 9, 0)), []);
    assert.deepEqual(stockAlerts(level(8, 0, 5), level(8, 0, 10)), ['low_stock'], 'raising the threshold over available');
  });
});

/** A change to level sku-1/wh-1, as the transaction that made it reports it. */
function changeOf(fields: Partial<LevelChange> & Pick<LevelChange, 'level'>): LevelChange {
  return { type: 'inventory.adjusted', deltaOnHand: 0, deltaReserved: 0, reason: 'stock_set', orderId: null, ...fields };
}

const at = (onHand: number, reserved: number, lowStockThreshold: number) => ({
  productId: 'sku-1',
  warehouseId: 'wh-1',
  ...level(onHand, reserved, lowStockThreshold),
});

describe("a level change's events", () => {
  it('writes the move, then each alert, on the level subject, with the level after the change', () => {
    const events = levelEvents(
      changeOf({ type: 'inventory.reserved', level: at(10, 10, 2), deltaReserved: 4, reason: 'reservation', orderId: 'o-1' }),
      'req-1',
    );
    assert.deepEqual(events.map((e) => [e.type, e.subject, e.correlationId]), [
      ['inventory.reserved', 'sku-1/wh-1', 'req-1'],
      ['inventory.low_stock', 'sku-1/wh-1', 'req-1'],
      ['inventory.out_of_stock', 'sku-1/wh-1', 'req-1'],
    ]);
    assert.deepEqual(events[2]!.data, { productId: 'sku-1', warehouseId: 'wh-1', onHand: 10, reserved: 10, available: 0, lowStockThreshold: 2 });
  });

  it('writes no move for a change that moved nothing (a new threshold alone)', () => {
    const events = levelEvents(changeOf({ level: at(4, 0, 5), lowStockThresholdBefore: 0 }), null);
    assert.deepEqual(events.map((e) => e.type), ['inventory.low_stock']);
  });
});

describe('event settings', () => {
  it('refuses a duplicate window the relay could outlast between two tries of one event', () => {
    assert.throws(
      () => loadConfig({ NATS_DUPLICATE_WINDOW: '30s', OUTBOX_MAX_BACKOFF: '30s' }),
      /NATS_DUPLICATE_WINDOW: must be longer than/,
    );
    assert.equal(loadConfig({}).NATS_DUPLICATE_WINDOW, 120_000);
    assert.throws(() => loadConfig({ NATS_SUBJECT_PREFIX: 'orders-service' }), /NATS_SUBJECT_PREFIX/);
  });
});
