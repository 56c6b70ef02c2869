import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS, type Stack } from '../support/stack';
import { orderStatusBecomes } from './order-status';
import type { StockedProduct } from './seed-catalog';

/**
 * An order of alice's taken through the whole API to `delivered`: placed, paid, every delivery
 * order shipped and delivered. Answers the order id.
 */
export async function deliveredOrder(
  stack: Stack,
  lines: Array<[StockedProduct, number]>,
  voucherCode?: string,
): Promise<string> {
  const items = lines.map(([p, quantity]) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity }));
  const placed = await call(stack, 'POST', '/orders', { key: KEYS.alice, body: { items, shippingAddress: '1 Main St', voucherCode } });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  const orderId: string = placed.body.data.id;
  const paid = await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  for (const step of ['ship', 'deliver']) {
    for (const id of paid.body.data.deliveryOrderIds as string[]) {
      const res = await call(stack, 'POST', `/delivery-orders/${id}/${step}`, { key: KEYS.warehouse });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  }
  await orderStatusBecomes(stack, orderId, 'delivered');
  return orderId;
}
