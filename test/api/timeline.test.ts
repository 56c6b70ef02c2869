import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertInOrder } from '../support/assert-in-order';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { deliveredOrder } from './delivered-order';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('API order timeline', () => {
  const stack = suiteStack();

  it("lists a delivered order's saga steps from its workflow history, oldest first", async () => {
    const mug = await stockedProduct(stack, 10);
    const orderId = await deliveredOrder(stack, [[mug, 2]]);
    const res = await call(stack, 'GET', `/orders/${orderId}/timeline`, { key: KEYS.alice });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const timeline = res.body.data as Array<{ step: string; status: string; at: string; attempt: number; error?: string }>;
    assert.equal(res.body.meta.total, timeline.length);
    for (const entry of timeline) {
      assert.deepEqual(Object.keys(entry).filter((k) => k !== 'error').sort(), ['at', 'attempt', 'status', 'step']);
      assert.ok(entry.attempt >= 1);
    }
    const times = timeline.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));

    const steps = timeline.map((e) => `${e.step}:${e.status}`);
    assertInOrder(steps, [
      'workflow:started',
      'validateCustomer:completed',
      'checkAvailability:completed',
      'reserveStock:completed',
      'update:placeOrder:completed',
      'chargePayment:completed',
      'commitStock:completed',
      'createDeliveryOrders:completed',
      'update:pay:completed',
      'update:ship:completed',
      'update:deliver:completed',
    ]);
    // The saga waits out the return window (30 days by default), so it has not completed.
    assert.ok(!steps.includes('workflow:completed'));
  });

  it('shows a declined payment with its error', async () => {
    const mug = await stockedProduct(stack, 10);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }], shippingAddress: 'x' },
    });
    const id = placed.body.data.id as string;
    const declined = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_decline' } });
    assert.equal(declined.status, 402);
    const timeline = (await call(stack, 'GET', `/orders/${id}/timeline`, { key: KEYS.admin })).body.data as Array<{
      step: string;
      status: string;
      error?: string;
    }>;
    const charge = timeline.find((e) => e.step === 'chargePayment');
    assert.equal(charge?.status, 'failed');
    assert.match(charge!.error!, /declined/);
    assert.equal(timeline.find((e) => e.step === 'update:pay')?.status, 'failed');
  });

  it('answers 403 for another customer or the warehouse, 404 for an unknown order and 400 for a malformed id', async () => {
    const mug = await stockedProduct(stack, 10);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }], shippingAddress: 'x' },
    });
    const id = placed.body.data.id as string;
    for (const key of [KEYS.bob, KEYS.warehouse]) {
      const res = await call(stack, 'GET', `/orders/${id}/timeline`, { key });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
    const unknown = await call(stack, 'GET', `/orders/${randomUUID()}/timeline`, { key: KEYS.admin });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'ORDER_NOT_FOUND');
    assert.equal((await call(stack, 'GET', '/orders/123/timeline', { key: KEYS.admin })).status, 400);
  });
});
