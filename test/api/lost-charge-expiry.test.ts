import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { orderStatusBecomes } from './order-status';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('API: a charge whose answer was lost, then the hold lapses', () => {
  // Long enough for the three unanswered attempts of one payment, short enough to watch it expire.
  const stack = suiteStack({ env: { RESERVATION_TTL: '10s', PAYMENT_TIMEOUT: '1s' } });

  it('voids the charge when the order expires: an order that is not confirmed keeps no money', async function () {
    this.timeout(60_000);
    const p = await stockedProduct(stack, 5);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity: 1 }], shippingAddress: '1 Main St' },
    });
    const orderId: string = placed.body.data.id;

    const lost = await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_lost' } });
    assert.deepEqual([lost.status, lost.body.error?.code], [503, 'PAYMENT_UNAVAILABLE']);
    const [charged] = await stack.database.sql`SELECT status FROM sandbox_charges WHERE idempotency_key = ${`${orderId}:payment:1`}`;
    assert.equal(charged?.status, 'succeeded', 'the sandbox did not take the lost charge');

    await orderStatusBecomes(stack, orderId, 'expired', 30_000);
    const payments = await untilSettled(orderId);

    assert.deepEqual(payments, ['voided']);
    const [provider] = await stack.database.sql`SELECT status FROM sandbox_charges WHERE idempotency_key = ${`${orderId}:payment:1`}`;
    assert.equal(provider?.status, 'voided');
    const [level] = await stack.database.sql`SELECT on_hand, reserved FROM inventory_levels WHERE product_id = ${p.productId}`;
    assert.deepEqual({ ...level }, { on_hand: 5, reserved: 0 });
  });

  /** The order's payment statuses once none is pending any more (the expiry settles them before it is recorded). */
  async function untilSettled(orderId: string): Promise<string[]> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const rows = await stack.database.sql<Array<{ status: string }>>`SELECT status FROM payments WHERE order_id = ${orderId}`;
      if (!rows.some((row) => row.status === 'pending')) return rows.map((row) => row.status);
      await sleep(100);
    }
    assert.fail(`order ${orderId} kept a pending payment`);
  }
});
