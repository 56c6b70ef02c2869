import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '../support/http';
import { KEYS, type Stack } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { deliveredOrder } from './delivered-order';
import { orderStatusBecomes } from './order-status';
import { refundedTotal } from './refunds';
import { stockedProduct, type StockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const RETURN_FIELDS = ['createdAt', 'id', 'items', 'orderId', 'reason', 'refundAmount'];

async function level(stack: Stack, p: StockedProduct): Promise<{ onHand: number; reserved: number }> {
  const [row] = await stack.database.sql<Array<{ onHand: number; reserved: number }>>`
    SELECT on_hand AS "onHand", reserved FROM inventory_levels
    WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
  return row!;
}

function returnOf(stack: Stack, orderId: string, body?: unknown, options: { key?: string; headers?: Record<string, string> } = {}) {
  return call(stack, 'POST', `/orders/${orderId}/returns`, { key: options.key ?? KEYS.alice, body, headers: options.headers });
}

const itemOf = (p: StockedProduct, quantity: number) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity });

describe('API returns', () => {
  const stack = suiteStack();

  it('takes a partial return: restocks, refunds the lines and answers 201 with the return', async () => {
    const mug = await stockedProduct(stack, 10, 1200);
    const plate = await stockedProduct(stack, 10, 700);
    const orderId = await deliveredOrder(stack, [
      [mug, 3],
      [plate, 2],
    ]);
    assert.deepEqual(await level(stack, mug), { onHand: 7, reserved: 0 });

    const res = await returnOf(stack, orderId, { items: [itemOf(mug, 2)], reason: 'chipped' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.data).sort(), RETURN_FIELDS);
    assert.match(res.body.data.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.data.orderId, orderId);
    assert.deepEqual(res.body.data.items, [itemOf(mug, 2)]);
    assert.equal(res.body.data.refundAmount, 2400);
    assert.equal(res.body.data.reason, 'chipped');
    assert.deepEqual(await level(stack, mug), { onHand: 9, reserved: 0 });
    assert.equal(await refundedTotal(stack, orderId), 2400);
    assert.equal((await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.alice })).body.data.status, 'delivered');

    const list = await call(stack, 'GET', `/orders/${orderId}/returns`, { key: KEYS.alice });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data, [res.body.data]);
  });

  it('returns everything left when no items are named, and the order becomes returned', async () => {
    const mug = await stockedProduct(stack, 10, 1000);
    const plate = await stockedProduct(stack, 10, 500);
    const orderId = await deliveredOrder(stack, [
      [mug, 2],
      [plate, 1],
    ]);
    assert.equal((await returnOf(stack, orderId, { items: [itemOf(mug, 1)] })).status, 201);

    const rest = await returnOf(stack, orderId);
    assert.equal(rest.status, 201, JSON.stringify(rest.body));
    assert.deepEqual(
      [...rest.body.data.items].sort((a, b) => a.productId.localeCompare(b.productId)),
      [itemOf(mug, 1), itemOf(plate, 1)].sort((a, b) => a.productId.localeCompare(b.productId)),
    );
    assert.equal(rest.body.data.refundAmount, 1500);
    assert.equal(rest.body.data.reason, null);
    assert.equal(await refundedTotal(stack, orderId), 2500);
    assert.deepEqual([await level(stack, mug), await level(stack, plate)], [{ onHand: 10, reserved: 0 }, { onHand: 10, reserved: 0 }]);
    await orderStatusBecomes(stack, orderId, 'returned');

    const more = await returnOf(stack, orderId);
    assert.equal(more.status, 409);
    assert.equal(more.body.error.code, 'RETURN_NOT_ALLOWED');
  });

  it('refunds the returned lines less their share of the discount', async () => {
    const mug = await stockedProduct(stack, 10, 1000);
    const code = `RET-${randomBytes(3).toString('hex')}`;
    assert.equal((await call(stack, 'PUT', `/vouchers/${code}`, { key: KEYS.admin, body: { kind: 'percent', value: 10 } })).status, 201);
    const orderId = await deliveredOrder(stack, [[mug, 3]], code);
    // Subtotal 3000, discount 300: one mug of three carries 100 of it.
    const res = await returnOf(stack, orderId, { items: [itemOf(mug, 1)] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.data.refundAmount, 900);
  });

  it('answers 409 RETURN_NOT_ALLOWED for more than was delivered, or before delivery, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const other = await stockedProduct(stack, 10);
    const orderId = await deliveredOrder(stack, [[mug, 2]]);
    assert.equal((await returnOf(stack, orderId, { items: [itemOf(mug, 1)] })).status, 201);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [itemOf(mug, 1)], shippingAddress: 'x' },
    });
    const unpaid = placed.body.data.id as string;

    const before = await databaseSnapshot(stack);
    const cases: Array<[string, string, unknown]> = [
      ['more than is left', orderId, { items: [itemOf(mug, 2)] }],
      ['a product not in the order', orderId, { items: [itemOf(other, 1)] }],
      ['another warehouse', orderId, { items: [{ ...itemOf(mug, 1), warehouseId: other.warehouseId }] }],
      ['not delivered yet', unpaid, { items: [itemOf(mug, 1)] }],
    ];
    for (const [name, id, body] of cases) {
      const res = await returnOf(stack, id, body);
      assert.equal(res.status, 409, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'RETURN_NOT_ALLOWED', name);
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('answers a repeat with the same Idempotency-Key with the same return, and 422 for another body', async () => {
    const mug = await stockedProduct(stack, 10, 400);
    const orderId = await deliveredOrder(stack, [[mug, 3]]);
    const headers = { 'Idempotency-Key': `return-${randomUUID()}` };
    const first = await returnOf(stack, orderId, { items: [itemOf(mug, 1)] }, { headers });
    assert.equal(first.status, 201);
    const repeat = await returnOf(stack, orderId, { items: [itemOf(mug, 1)] }, { headers });
    assert.equal(repeat.status, 201);
    assert.deepEqual(repeat.body.data, first.body.data);
    assert.equal(await refundedTotal(stack, orderId), 400);
    assert.deepEqual(await level(stack, mug), { onHand: 8, reserved: 0 });

    const other = await returnOf(stack, orderId, { items: [itemOf(mug, 2)] }, { headers });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(await refundedTotal(stack, orderId), 400);
  });

  it('answers 400 for bad returns, 403 for another customer or the warehouse and 404 for unknown orders, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const orderId = await deliveredOrder(stack, [[mug, 2]]);
    const before = await databaseSnapshot(stack);
    const bodies: Array<[string, unknown]> = [
      ['empty items', { items: [] }],
      ['zero quantity', { items: [itemOf(mug, 0)] }],
      ['fractional quantity', { items: [itemOf(mug, 1.5)] }],
      ['warehouse missing', { items: [{ productId: mug.productId, quantity: 1 }] }],
      ['unknown field', { items: [itemOf(mug, 1)], refund: 5 }],
      ['reason too long', { reason: 'x'.repeat(501) }],
      ['body an array', [itemOf(mug, 1)]],
    ];
    for (const [name, body] of bodies) {
      const res = await returnOf(stack, orderId, body);
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', name);
    }
    const bob = await returnOf(stack, orderId, {}, { key: KEYS.bob });
    assert.equal(bob.status, 403);
    const warehouse = await returnOf(stack, orderId, {}, { key: KEYS.warehouse });
    assert.equal(warehouse.status, 403);
    assert.equal((await call(stack, 'GET', `/orders/${orderId}/returns`, { key: KEYS.bob })).status, 403);
    const unknown = await returnOf(stack, randomUUID(), {}, { key: KEYS.admin });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'ORDER_NOT_FOUND');
    assert.equal((await returnOf(stack, 'not-a-uuid', {}, { key: KEYS.admin })).status, 400);
    assert.deepEqual(await databaseSnapshot(stack), before);
  });
});

describe('API returns after the return window', () => {
  const stack = suiteStack({ env: { RETURN_WINDOW: '3s' } });

  it('answers 409 RETURN_NOT_ALLOWED once RETURN_WINDOW has passed since delivery, and the saga has finished', async () => {
    const mug = await stockedProduct(stack, 10);
    const orderId = await deliveredOrder(stack, [[mug, 2]]);
    const inside = await returnOf(stack, orderId, { items: [itemOf(mug, 1)] });
    assert.equal(inside.status, 201, JSON.stringify(inside.body));

    await sleep(3_500);
    const before = await databaseSnapshot(stack);
    const late = await returnOf(stack, orderId, { items: [itemOf(mug, 1)] });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'RETURN_NOT_ALLOWED');
    assert.deepEqual(await databaseSnapshot(stack), before);

    const timeline = await call(stack, 'GET', `/orders/${orderId}/timeline`, { key: KEYS.alice });
    const steps = timeline.body.data.map((e: { step: string; status: string }) => `${e.step}:${e.status}`);
    assert.ok(steps.includes('return-window-closed:fired'), steps.join(', '));
    assert.equal(steps.at(-1), 'workflow:completed');
  });
});
