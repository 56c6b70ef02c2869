import assert from 'node:assert/strict';
import { findInventoryDiscrepancies } from '../../db/audit';
import { MAX_ON_HAND } from '../../domain/stock';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('API inventory adjustments and the movements ledger', () => {
  const stack = suiteStack();

  function adjust(body: unknown, key: string = KEYS.admin) {
    return call(stack, 'POST', '/inventory/adjustments', { key, body });
  }

  it('adds and removes on-hand units, answering the InventoryLevel and keeping the ledger in step', async () => {
    const mug = await stockedProduct(stack, 10);
    const found = await adjust({ productId: mug.productId, warehouseId: mug.warehouseId, delta: 5, reason: 'found in recount' });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual([found.body.data.onHand, found.body.data.reserved, found.body.data.available], [15, 0, 15]);
    const damaged = await adjust({ productId: mug.productId, warehouseId: mug.warehouseId, delta: -3, reason: 'damaged' });
    assert.equal(damaged.status, 200);
    assert.equal(damaged.body.data.onHand, 12);
    const read = await call(stack, 'GET', `/inventory/${mug.productId}/${mug.warehouseId}`, { key: KEYS.warehouse });
    assert.deepEqual(read.body.data, damaged.body.data);
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });

  it('answers 409 STOCK_BELOW_RESERVED when taking away units that orders hold, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 8 }], shippingAddress: 'x' },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const before = await databaseSnapshot(stack);
    for (const delta of [-3, -11]) {
      const res = await adjust({ productId: mug.productId, warehouseId: mug.warehouseId, delta, reason: 'damaged' });
      assert.equal(res.status, 409, String(delta));
      assert.equal(res.body.error.code, 'STOCK_BELOW_RESERVED');
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
    const exact = await adjust({ productId: mug.productId, warehouseId: mug.warehouseId, delta: -2, reason: 'damaged' });
    assert.equal(exact.status, 200);
    assert.deepEqual([exact.body.data.onHand, exact.body.data.reserved, exact.body.data.outOfStock], [8, 8, true]);
  });

  it('answers 422 LIMIT_EXCEEDED for an adjustment past the largest on-hand count, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const at = { productId: mug.productId, warehouseId: mug.warehouseId, reason: 'found a warehouse' };
    // Up to the limit exactly: the largest count the service stores.
    const full = await adjust({ ...at, delta: MAX_ON_HAND - 10 });
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.equal(full.body.data.onHand, MAX_ON_HAND);
    const before = await databaseSnapshot(stack);
    // One unit past it, and a delta that would overflow the database's integer column.
    for (const delta of [2_000_000_000, 2_147_483_647, 1]) {
      const res = await adjust({ ...at, delta });
      assert.equal(res.status, 422, `${delta}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'LIMIT_EXCEEDED');
      assert.deepEqual(res.body.error.details, { onHand: MAX_ON_HAND, delta, maxOnHand: MAX_ON_HAND });
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });

  it('answers 400 for bad adjustments, 404 for unknown products or warehouses, 403 for other roles, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const valid = { productId: mug.productId, warehouseId: mug.warehouseId, delta: -1, reason: 'damaged' };
    const before = await databaseSnapshot(stack);
    const bodies: Array<[string, unknown]> = [
      ['delta 0', { ...valid, delta: 0 }],
      ['fractional delta', { ...valid, delta: 1.5 }],
      ['delta a string', { ...valid, delta: '-1' }],
      ['huge delta', { ...valid, delta: 2 ** 31 }],
      ['reason missing', { ...valid, reason: undefined }],
      ['reason blank', { ...valid, reason: '  ' }],
      ['reason too long', { ...valid, reason: 'x'.repeat(201) }],
      ['productId malformed', { ...valid, productId: 'a b' }],
      ['unknown field', { ...valid, onHand: 3 }],
    ];
    for (const [name, body] of bodies) {
      const res = await adjust(body);
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', name);
    }
    for (const body of [{ ...valid, productId: 'sku-nope' }, { ...valid, warehouseId: 'wh-nope' }]) {
      const res = await adjust(body);
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
    for (const key of [KEYS.alice, KEYS.warehouse]) {
      const res = await adjust(valid, key);
      assert.equal(res.status, 403);
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('lists a level’s movements newest first, with the order that moved the stock and the admin’s reason', async () => {
    const mug = await stockedProduct(stack, 10);
    await adjust({ productId: mug.productId, warehouseId: mug.warehouseId, delta: -1, reason: 'damaged' });
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 2 }], shippingAddress: 'x' },
    });
    const orderId = placed.body.data.id as string;
    assert.equal((await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice })).status, 200);

    const path = `/inventory/${mug.productId}/${mug.warehouseId}/movements`;
    const res = await call(stack, 'GET', path, { key: KEYS.warehouse });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const movements = res.body.data as Array<Record<string, unknown>>;
    assert.deepEqual(
      movements.map(({ deltaOnHand, deltaReserved, reason, note, orderId: of }) => [deltaOnHand, deltaReserved, reason, note, of]),
      [
        [-2, -2, 'commit', undefined, orderId],
        [0, 2, 'reservation', undefined, orderId],
        [-1, 0, 'adjustment', 'damaged', undefined],
        [10, 0, 'stock_set', undefined, undefined],
      ],
    );
    const ids = movements.map((m) => m.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    for (const m of movements) assert.ok(!Number.isNaN(Date.parse(m.at as string)));
    assert.deepEqual(
      [res.body.meta.page, res.body.meta.limit, res.body.meta.total, res.body.meta.totalPages],
      [1, 20, 4, 1],
    );

    const second = await call(stack, 'GET', `${path}?page=2&limit=3`, { key: KEYS.admin });
    assert.deepEqual(second.body.data, movements.slice(3));
    assert.equal(second.body.meta.totalPages, 2);
  });

  it('answers 404 for a level that does not exist, 400 for bad paging and 403 for customers', async () => {
    const mug = await stockedProduct(stack, 10);
    const missing = await call(stack, 'GET', `/inventory/${mug.productId}/wh-nope/movements`, { key: KEYS.admin });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    for (const query of ['page=0', 'limit=101', 'limit=x']) {
      const res = await call(stack, 'GET', `/inventory/${mug.productId}/${mug.warehouseId}/movements?${query}`, { key: KEYS.admin });
      assert.equal(res.status, 400, query);
    }
    const customer = await call(stack, 'GET', `/inventory/${mug.productId}/${mug.warehouseId}/movements`, { key: KEYS.alice });
    assert.equal(customer.status, 403);
  });
});
