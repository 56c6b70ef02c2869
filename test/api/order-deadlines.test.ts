import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { stockedProduct, type StockedProduct } from './seed-catalog';

/** A short reservation TTL and payment timeout, so expiry and a silent provider happen within a test. */
describe('API orders against the clock', () => {
  const stack = suiteStack({
    env: { RESERVATION_TTL: '6s', PAYMENT_TIMEOUT: '300ms' },
    // The unanswered (tok_timeout) order expires during the next test with its payment still
    // pending: today's saga does not settle a charge whose outcome is unknown before it expires.
    // Remove once the saga pushes settlePayments before charging (issue 6).
    moneyAuditWaived: { reason: 'the saga does not yet settle an unanswered charge when the order expires' },
  });

  async function place(p: StockedProduct, quantity: number): Promise<string> {
    const res = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity }], shippingAddress: 'x' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.id;
  }

  async function reserved(p: StockedProduct): Promise<number> {
    const [row] = await stack.database.sql`
      SELECT reserved FROM inventory_levels WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!.reserved as number;
  }

  it('answers 503 PAYMENT_UNAVAILABLE when the provider stays silent, and keeps the order payable', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 2);
    const res = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_timeout' } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'PAYMENT_UNAVAILABLE');
    const order = await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice });
    assert.equal(order.body.data.status, 'awaiting_payment');
    assert.equal(await reserved(mug), 2);
  });

  it('expires an unpaid order after RESERVATION_TTL: stock released, pay and cancel refused with 409', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 4);
    assert.equal(await reserved(mug), 4);
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline && status !== 'expired') {
      await sleep(250);
      status = (await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.status;
    }
    assert.equal(status, 'expired');
    assert.equal(await reserved(mug), 0);
    const holds = await call(stack, 'GET', `/orders/${id}/reservations`, { key: KEYS.alice });
    assert.deepEqual(holds.body.data.map((h: { status: string }) => h.status), ['expired']);

    const pay = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice });
    assert.equal(pay.status, 409);
    assert.equal(pay.body.error.code, 'ORDER_NOT_PAYABLE');
    const cancel = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'ORDER_NOT_CANCELLABLE');
  });
});
