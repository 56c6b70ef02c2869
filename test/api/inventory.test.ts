import assert from 'node:assert/strict';
import { MAX_ON_HAND } from '../../domain/stock';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct } from './seed-catalog';

describe('API inventory', () => {
  const stack = suiteStack();

  async function ledger(productId: string, warehouseId: string) {
    return stack.database.sql<Array<{ deltaOnHand: number; deltaReserved: number; reason: string }>>`
      SELECT delta_on_hand AS "deltaOnHand", delta_reserved AS "deltaReserved", reason
      FROM inventory_movements WHERE product_id = ${productId} AND warehouse_id = ${warehouseId} ORDER BY id`;
  }

  it('sets on hand through the ledger and answers the InventoryLevel', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 10);
    const res = await call(stack, 'PUT', `/inventory/${productId}/${warehouseId}`, { key: KEYS.admin, body: { onHand: 4 } });
    assert.equal(res.status, 200);
    const { updatedAt, ...level } = res.body.data;
    assert.ok(!Number.isNaN(Date.parse(updatedAt)));
    assert.deepEqual(level, {
      productId,
      warehouseId,
      onHand: 4,
      reserved: 0,
      available: 4,
      lowStockThreshold: 2,
      lowStock: false,
      outOfStock: false,
    });
    assert.deepEqual(
      (await ledger(productId, warehouseId)).map((m) => [m.deltaOnHand, m.deltaReserved, m.reason]),
      [
        [10, 0, 'stock_set'],
        [-6, 0, 'stock_set'],
      ],
    );
    const read = await call(stack, 'GET', `/inventory/${productId}/${warehouseId}`, { key: KEYS.warehouse });
    assert.deepEqual(read.body.data, res.body.data);

    const low = await call(stack, 'PUT', `/inventory/${productId}/${warehouseId}`, { key: KEYS.admin, body: { onHand: 0, lowStockThreshold: 3 } });
    assert.deepEqual([low.body.data.lowStock, low.body.data.outOfStock, low.body.data.lowStockThreshold], [true, true, 3]);
  });

  it('answers 409 STOCK_BELOW_RESERVED below what open orders hold, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 7 }], shippingAddress: 'x' },
    });
    assert.equal(placed.status, 201);
    const before = await databaseSnapshot(stack);
    const res = await call(stack, 'PUT', `/inventory/${mug.productId}/${mug.warehouseId}`, { key: KEYS.admin, body: { onHand: 6 } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'STOCK_BELOW_RESERVED');
    assert.deepEqual(await databaseSnapshot(stack), before);
    const exact = await call(stack, 'PUT', `/inventory/${mug.productId}/${mug.warehouseId}`, { key: KEYS.admin, body: { onHand: 7 } });
    assert.equal(exact.status, 200);
    assert.deepEqual([exact.body.data.available, exact.body.data.outOfStock], [0, true]);
  });

  it('answers 422 LIMIT_EXCEEDED for an on-hand count above the largest the service stores, changing nothing', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 10);
    const before = await databaseSnapshot(stack);
    for (const onHand of [MAX_ON_HAND + 1, 2_147_483_647]) {
      const res = await call(stack, 'PUT', `/inventory/${productId}/${warehouseId}`, { key: KEYS.admin, body: { onHand } });
      assert.equal(res.status, 422, `${onHand}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'LIMIT_EXCEEDED');
      assert.deepEqual(res.body.error.details, { onHand, maxOnHand: MAX_ON_HAND });
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
    const full = await call(stack, 'PUT', `/inventory/${productId}/${warehouseId}`, { key: KEYS.admin, body: { onHand: MAX_ON_HAND } });
    assert.equal(full.status, 200);
    assert.equal(full.body.data.available, MAX_ON_HAND);
  });

  it('refuses bad levels with 400 and unknown products or warehouses with 404, changing nothing', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 10);
    const before = await databaseSnapshot(stack);
    for (const body of [{ onHand: -1 }, { onHand: 1.5 }, { onHand: '5' }, {}, { onHand: 3e9 }, { onHand: 1, lowStockThreshold: -1 }, { onHand: 1, extra: true }]) {
      const res = await call(stack, 'PUT', `/inventory/${productId}/${warehouseId}`, { key: KEYS.admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
    }
    for (const path of [`/inventory/sku-nope/${warehouseId}`, `/inventory/${productId}/wh-nope`]) {
      const res = await call(stack, 'PUT', path, { key: KEYS.admin, body: { onHand: 1 } });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
    const missing = await call(stack, 'GET', `/inventory/sku-nope/${warehouseId}`, { key: KEYS.admin });
    assert.equal(missing.status, 404);
  });

  it('answers a batch in the order asked, listing pairs without a level in meta.missing', async () => {
    const a = await stockedProduct(stack, 1);
    const b = await stockedProduct(stack, 2);
    const res = await call(stack, 'POST', '/inventory/batch', {
      key: KEYS.warehouse,
      body: {
        items: [
          { productId: b.productId, warehouseId: b.warehouseId },
          { productId: a.productId, warehouseId: b.warehouseId },
          { productId: a.productId, warehouseId: a.warehouseId },
        ],
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.data.map((l: { productId: string; onHand: number }) => [l.productId, l.onHand]),
      [
        [b.productId, 2],
        [a.productId, 1],
      ],
    );
    assert.deepEqual(res.body.meta.missing, [{ productId: a.productId, warehouseId: b.warehouseId }]);
    for (const items of [[], Array.from({ length: 101 }, () => ({ productId: a.productId, warehouseId: a.warehouseId }))]) {
      const bad = await call(stack, 'POST', '/inventory/batch', { key: KEYS.admin, body: { items } });
      assert.equal(bad.status, 400);
    }
  });

  describe('check-availability', () => {
    it('answers per warehouse, or summed over active warehouses when none is named, without changing anything', async () => {
      const east = await stockedProduct(stack, 5);
      const productId = east.productId;
      const west = 'wh-west-' + productId;
      const closed = 'wh-closed-' + productId;
      await call(stack, 'PUT', `/warehouses/${west}`, { key: KEYS.admin, body: { name: 'West', priority: 2 } });
      await call(stack, 'PUT', `/warehouses/${closed}`, { key: KEYS.admin, body: { name: 'Closed', priority: 3, active: false } });
      await call(stack, 'PUT', `/inventory/${productId}/${west}`, { key: KEYS.admin, body: { onHand: 3 } });
      await call(stack, 'PUT', `/inventory/${productId}/${closed}`, { key: KEYS.admin, body: { onHand: 100 } });

      const before = await databaseSnapshot(stack);
      const res = await call(stack, 'POST', '/inventory/check-availability', {
        key: KEYS.alice,
        body: {
          items: [
            { productId, warehouseId: east.warehouseId, quantity: 5 },
            { productId, quantity: 8 },
          ],
        },
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.data, {
        available: true,
        items: [
          { productId, warehouseId: east.warehouseId, requestedQuantity: 5, availableQuantity: 5, available: true },
          { productId, warehouseId: null, requestedQuantity: 8, availableQuantity: 8, available: true },
        ],
      });
      const short = await call(stack, 'POST', '/inventory/check-availability', {
        key: KEYS.alice,
        body: { items: [{ productId, quantity: 9 }] },
      });
      assert.equal(short.body.data.available, false);
      assert.equal(short.body.data.items[0].availableQuantity, 8);
      assert.deepEqual(await databaseSnapshot(stack), before);
    });

    it('judges lines of the same product and warehouse on their summed demand', async () => {
      const mug = await stockedProduct(stack, 10);
      const line = { productId: mug.productId, warehouseId: mug.warehouseId, quantity: 6 };
      const res = await call(stack, 'POST', '/inventory/check-availability', { key: KEYS.admin, body: { items: [line, line] } });
      assert.equal(res.body.data.available, false);
      assert.deepEqual(
        res.body.data.items.map((i: { available: boolean }) => i.available),
        [false, false],
      );
    });

    it('answers 422 for unknown products and warehouses and 400 for bad quantities', async () => {
      const mug = await stockedProduct(stack, 10);
      const unknown = await call(stack, 'POST', '/inventory/check-availability', {
        key: KEYS.admin,
        body: { items: [{ productId: 'sku-nope', quantity: 1 }] },
      });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.error.code, 'UNKNOWN_PRODUCT');
      const noWarehouse = await call(stack, 'POST', '/inventory/check-availability', {
        key: KEYS.admin,
        body: { items: [{ productId: mug.productId, warehouseId: 'wh-nope', quantity: 1 }] },
      });
      assert.equal(noWarehouse.status, 422);
      assert.equal(noWarehouse.body.error.code, 'UNKNOWN_WAREHOUSE');
      for (const quantity of [0, -2, 2.5, 10_001, '3']) {
        const res = await call(stack, 'POST', '/inventory/check-availability', {
          key: KEYS.admin,
          body: { items: [{ productId: mug.productId, quantity }] },
        });
        assert.equal(res.status, 400, String(quantity));
        assert.equal(res.body.error.details[0].path, 'items.0.quantity');
      }
    });
  });
});
