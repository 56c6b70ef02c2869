import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { deliveredOrder } from './delivered-order';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const ENTRY_FIELDS = ['amount', 'createdAt', 'currency', 'id', 'kind', 'status', 'updatedAt'];

describe('API order payments', () => {
  const stack = suiteStack();

  async function placed(quantity = 2, price = 1250): Promise<string> {
    const mug = await stockedProduct(stack, 10, price);
    const res = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity }], shippingAddress: '1 Main St' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.id;
  }

  function pay(orderId: string, paymentToken: string) {
    return call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: { paymentToken } });
  }

  async function moneyOf(orderId: string, key: string = KEYS.alice) {
    const res = await call(stack, 'GET', `/orders/${orderId}/payments`, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.meta.total, res.body.data.length);
    for (const entry of res.body.data) {
      assert.deepEqual(Object.keys(entry).sort(), ENTRY_FIELDS);
      assert.ok(Date.parse(entry.createdAt) <= Date.parse(entry.updatedAt));
    }
    return res.body.data as Array<{ kind: string; amount: number; currency: string; status: string; createdAt: string }>;
  }

  it('lists the charges of an order, oldest first: a decline, then the charge that confirmed it', async () => {
    const orderId = await placed();
    assert.deepEqual(await moneyOf(orderId), []);
    assert.equal((await pay(orderId, 'tok_decline')).status, 402);
    assert.equal((await pay(orderId, 'tok_visa')).status, 200);

    const entries = await moneyOf(orderId);

    assert.deepEqual(
      entries.map(({ kind, amount, currency, status }) => ({ kind, amount, currency, status })),
      [
        { kind: 'charge', amount: 2500, currency: 'USD', status: 'declined' },
        { kind: 'charge', amount: 2500, currency: 'USD', status: 'succeeded' },
      ],
    );
    assert.ok(entries[0]!.createdAt <= entries[1]!.createdAt);
  });

  it('shows a cancelled paid order refunded, with its refund', async () => {
    const orderId = await placed(3);
    assert.equal((await pay(orderId, 'tok_visa')).status, 200);
    assert.equal((await call(stack, 'POST', `/orders/${orderId}/cancel`, { key: KEYS.alice, body: {} })).status, 200);

    assert.deepEqual(
      (await moneyOf(orderId)).map(({ kind, amount, status }) => ({ kind, amount, status })),
      [
        { kind: 'charge', amount: 3750, status: 'refunded' },
        { kind: 'refund', amount: 3750, status: 'succeeded' },
      ],
    );
  });

  it('shows the refund of a partial return beside the charge it came from', async () => {
    const mug = await stockedProduct(stack, 10, 1000);
    const orderId = await deliveredOrder(stack, [[mug, 3]]);
    const returned = await call(stack, 'POST', `/orders/${orderId}/returns`, {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }] },
    });
    assert.equal(returned.status, 201, JSON.stringify(returned.body));

    assert.deepEqual(
      (await moneyOf(orderId, KEYS.admin)).map(({ kind, amount, status }) => ({ kind, amount, status })),
      [
        { kind: 'charge', amount: 3000, status: 'succeeded' },
        { kind: 'refund', amount: 1000, status: 'succeeded' },
      ],
    );
  });

  it('answers 403 for another customer and the warehouse, 404 for an unknown order, 400 for a malformed id', async () => {
    const orderId = await placed();
    for (const key of [KEYS.bob, KEYS.warehouse]) {
      const res = await call(stack, 'GET', `/orders/${orderId}/payments`, { key });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
    const unknown = await call(stack, 'GET', `/orders/${randomUUID()}/payments`, { key: KEYS.admin });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'ORDER_NOT_FOUND');
    const malformed = await call(stack, 'GET', '/orders/not-a-uuid/payments', { key: KEYS.admin });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'VALIDATION_ERROR');
  });
});
