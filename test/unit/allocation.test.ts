import { strict as assert } from 'node:assert';
import { allocateLines, type CandidateLevel } from '../../domain/allocation';
import type { PricedLine } from '../../domain/order';

function line(productId: string, warehouseId: string | null, quantity: number, unitPrice = 100): PricedLine {
  return { productId, warehouseId, quantity, unitPrice, lineTotal: unitPrice * quantity };
}

function level(warehouseId: string, available: number, priority: number, fields: Partial<CandidateLevel> = {}): CandidateLevel {
  return { productId: 'sku-1', warehouseId, available, priority, active: true, ...fields };
}

describe('allocateLines', function () {
  it('holds a line without a warehouse in the warehouse of lowest priority that can cover it', function () {
    const result = allocateLines([line('sku-1', null, 3)], [level('wh-a', 10, 20), level('wh-b', 10, 10)]);
    assert.deepEqual(result, { ok: true, lines: [{ ...line('sku-1', null, 3), warehouseId: 'wh-b' }] });
  });

  it('splits a line across warehouses in priority order, pricing each part', function () {
    const result = allocateLines([line('sku-1', null, 7, 250)], [level('wh-a', 4, 10), level('wh-b', 2, 5), level('wh-c', 9, 30)]);
    assert.deepEqual(result, {
      ok: true,
      lines: [
        { productId: 'sku-1', warehouseId: 'wh-b', quantity: 2, unitPrice: 250, lineTotal: 500 },
        { productId: 'sku-1', warehouseId: 'wh-a', quantity: 4, unitPrice: 250, lineTotal: 1000 },
        { productId: 'sku-1', warehouseId: 'wh-c', quantity: 1, unitPrice: 250, lineTotal: 250 },
      ],
    });
  });

  it('breaks a priority tie by warehouse id and skips inactive warehouses', function () {
    const result = allocateLines(
      [line('sku-1', null, 2)],
      [level('wh-b', 5, 10), level('wh-a', 5, 10, { active: false }), level('wh-0', 1, 10)],
    );
    assert.deepEqual(result.ok && result.lines.map((l) => [l.warehouseId, l.quantity]), [
      ['wh-0', 1],
      ['wh-b', 1],
    ]);
  });

  it('lets lines naming a warehouse take their share before the server allocates the rest', function () {
    const result = allocateLines([line('sku-1', null, 3), line('sku-1', 'wh-a', 4)], [level('wh-a', 5, 1), level('wh-b', 2, 2)]);
    assert.deepEqual(result.ok && result.lines.map((l) => [l.warehouseId, l.quantity]), [
      ['wh-a', 1],
      ['wh-b', 2],
      ['wh-a', 4],
    ]);
  });

  it('reports a product left to the server with the sum over all warehouses as available', function () {
    const result = allocateLines(
      [line('sku-1', null, 4), line('sku-1', null, 3)],
      [level('wh-a', 2, 1), level('wh-b', 4, 2), level('wh-c', 9, 3, { active: false })],
    );
    assert.deepEqual(result, { ok: false, short: [{ productId: 'sku-1', warehouseId: null, requested: 7, available: 6 }] });
  });

  it('reports every short item at once: named pairs summed, products sorted', function () {
    const result = allocateLines(
      [line('sku-2', null, 1), line('sku-1', 'wh-a', 2), line('sku-1', 'wh-a', 2)],
      [level('wh-a', 3, 1)],
    );
    assert.deepEqual(result, {
      ok: false,
      short: [
        { productId: 'sku-1', warehouseId: 'wh-a', requested: 4, available: 3 },
        { productId: 'sku-2', warehouseId: null, requested: 1, available: 0 },
      ],
    });
  });
});
