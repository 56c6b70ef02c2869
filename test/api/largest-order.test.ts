import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { deliveredOrder } from './delivered-order';
import { stockedProduct, type StockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

/** The largest order the contract accepts: 100 lines of 10,000 units at the largest price a product takes. */
const LARGEST_PRICE = 2_147_483_647;
const LINES = 100;
const LARGEST_QUANTITY = 10_000;
const LARGEST_TOTAL = 2_147_483_647_000_000;

describe('API: the largest order the schemas allow', () => {
  const stack = suiteStack();

  function largestLines(p: StockedProduct): Array<[StockedProduct, number]> {
    return Array.from({ length: LINES }, () => [p, LARGEST_QUANTITY]);
  }

  async function moneyOf(orderId: string) {
    const res = await call(stack, 'GET', `/orders/${orderId}/payments`, { key: KEYS.alice });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.data as Array<{ kind: string; amount: number; status: string }>).map(({ kind, amount, status }) => ({
      kind,
      amount,
      status,
    }));
  }

  it('places, pays, delivers and takes back an order of 2,147,483,647,000,000 cents, to the cent', async () => {
    const priciest = await stockedProduct(stack, LINES * LARGEST_QUANTITY, LARGEST_PRICE);

    const orderId = await deliveredOrder(stack, largestLines(priciest));
    const order = await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.alice });
    assert.deepEqual([order.body.data.subtotal, order.body.data.total], [LARGEST_TOTAL, LARGEST_TOTAL]);
    assert.equal(order.body.data.items[0].lineTotal, LARGEST_PRICE * LARGEST_QUANTITY);

    const returned = await call(stack, 'POST', `/orders/${orderId}/returns`, { key: KEYS.alice, body: {} });

    assert.equal(returned.status, 201, JSON.stringify(returned.body));
    assert.equal(returned.body.data.refundAmount, LARGEST_TOTAL);
    assert.deepEqual(await moneyOf(orderId), [
      { kind: 'charge', amount: LARGEST_TOTAL, status: 'refunded' },
      { kind: 'refund', amount: LARGEST_TOTAL, status: 'succeeded' },
    ]);
  });

  it('refunds the largest paid order in full when it is cancelled', async () => {
    const priciest = await stockedProduct(stack, LINES * LARGEST_QUANTITY, LARGEST_PRICE);
    const items = largestLines(priciest).map(([p, quantity]) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity }));
    const placed = await call(stack, 'POST', '/orders', { key: KEYS.alice, body: { items, shippingAddress: '1 Main St' } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.data.total, LARGEST_TOTAL);
    const orderId: string = placed.body.data.id;
    assert.equal((await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: {} })).status, 200);

    const cancelled = await call(stack, 'POST', `/orders/${orderId}/cancel`, { key: KEYS.alice, body: {} });

    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual(await moneyOf(orderId), [
      { kind: 'charge', amount: LARGEST_TOTAL, status: 'refunded' },
      { kind: 'refund', amount: LARGEST_TOTAL, status: 'succeeded' },
    ]);
  });
});
