import { strict as assert } from 'node:assert';
import { aggregateDemand } from '../../domain/stock';

describe('aggregateDemand', function () {
  it('sums the lines of one product in one warehouse', function () {
    assert.deepEqual(
      aggregateDemand([
        { productId: 'sku-1', warehouseId: 'wh-1', quantity: 2 },
        { productId: 'sku-1', warehouseId: 'wh-1', quantity: 3 },
      ]),
      [{ productId: 'sku-1', warehouseId: 'wh-1', quantity: 5 }],
    );
  });

  it('keeps one product in different warehouses apart', function () {
    assert.deepEqual(
      aggregateDemand([
        { productId: 'sku-1', warehouseId: 'wh-2', quantity: 1 },
        { productId: 'sku-1', warehouseId: 'wh-1', quantity: 4 },
      ]),
      [
        { productId: 'sku-1', warehouseId: 'wh-1', quantity: 4 },
        { productId: 'sku-1', warehouseId: 'wh-2', quantity: 1 },
      ],
    );
  });

  it('orders by product id, then warehouse id, whatever the line order', function () {
    const lines = [
      { productId: 'sku-b', warehouseId: 'wh-1', quantity: 1 },
      { productId: 'sku-a', warehouseId: 'wh-2', quantity: 1 },
      { productId: 'sku-a', warehouseId: 'wh-1', quantity: 1 },
    ];
    const expected = [
      { productId: 'sku-a', warehouseId: 'wh-1', quantity: 1 },
      { productId: 'sku-a', warehouseId: 'wh-2', quantity: 1 },
      { productId: 'sku-b', warehouseId: 'wh-1', quantity: 1 },
    ];
    assert.deepEqual(aggregateDemand(lines), expected);
    assert.deepEqual(aggregateDemand([...lines].reverse()), expected);
  });

  it('orders by code unit, so uppercase sorts before lowercase as in PostgreSQL\'s "C" collation', function () {
    assert.deepEqual(
      aggregateDemand([
        { productId: 'sku-a', warehouseId: 'wh', quantity: 1 },
        { productId: 'SKU-B', warehouseId: 'wh', quantity: 1 },
      ]).map((line) => line.productId),
      ['SKU-B', 'sku-a'],
    );
  });

  it('does not change the lines it is given', function () {
    const lines = [
      { productId: 'sku-1', warehouseId: 'wh-1', quantity: 2 },
      { productId: 'sku-1', warehouseId: 'wh-1', quantity: 3 },
    ];
    aggregateDemand(lines);
    assert.deepEqual(lines[0], { productId: 'sku-1', warehouseId: 'wh-1', quantity: 2 });
  });

  it('keeps ids that would collide if simply joined apart', function () {
    assert.equal(
      aggregateDemand([
        { productId: 'a:b', warehouseId: 'c', quantity: 1 },
        { productId: 'a', warehouseId: 'b:c', quantity: 1 },
      ]).length,
      2,
    );
  });

  it('returns nothing for no lines', function () {
    assert.deepEqual(aggregateDemand([]), []);
  });
});
