import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { stockedProduct, type StockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

/** POST /orders with reservationId: the order takes a stock hold's units over. */
describe('API orders placed on a stock hold', () => {
  const stack = suiteStack({ env: { HOLD_MAX_TTL: '1h' } });

  async function heldFor(product: StockedProduct, quantity: number, key: string = KEYS.alice): Promise<string> {
    const res = await call(stack, 'POST', '/inventory/reserve', {
      key,
      body: { items: [{ productId: product.productId, quantity }], expiresIn: 600 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.reservationId as string;
  }

  function placeOn(reservationId: string, product: StockedProduct, quantity: number, key: string = KEYS.alice) {
    return call(stack, 'POST', '/orders', {
      key,
      body: { items: [{ productId: product.productId, quantity }], shippingAddress: '1 Main St', reservationId },
    });
  }

  async function reserved(product: StockedProduct): Promise<number> {
    const res = await call(stack, 'GET', `/inventory/${product.productId}/${product.warehouseId}`, { key: KEYS.admin });
    return res.body.data.reserved as number;
  }

  async function holdStatus(reservationId: string): Promise<{ status: string; orderId?: string }> {
    const res = await call(stack, 'GET', `/inventory/reservations/${reservationId}`, { key: KEYS.admin });
    return { status: res.body.data.status, orderId: res.body.data.orderId };
  }

  it('takes the hold’s units over without reserving again; the hold ends converted and the order pays as any', async () => {
    const mug = await stockedProduct(stack, 5);
    const holdId = await heldFor(mug, 3);

    const placed = await placeOn(holdId, mug, 3);

    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const orderId = placed.body.data.id as string;
    assert.equal(placed.body.data.status, 'awaiting_payment');
    assert.equal(await reserved(mug), 3, 'the units are reserved once, not twice');
    assert.deepEqual(await holdStatus(holdId), { status: 'converted', orderId });
    const holds = await call(stack, 'GET', `/orders/${orderId}/reservations`, { key: KEYS.alice });
    assert.deepEqual(
      holds.body.data.map((h: { status: string; quantity: number; holdId?: string }) => [h.status, h.quantity, h.holdId]),
      [['active', 3, holdId]],
      'the order’s reservation says which hold its units came from',
    );
    const timeline = await call(stack, 'GET', `/orders/${orderId}/timeline`, { key: KEYS.admin });
    const steps = timeline.body.data.map((entry: { step: string; status: string }) => `${entry.step}:${entry.status}`);
    assert.ok(steps.includes('adoptHold:completed'), `the timeline shows where the stock came from: ${steps.join(', ')}`);
    assert.ok(!steps.some((step: string) => step.startsWith('reserveStock')), 'nothing was reserved again');

    const paid = await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(await reserved(mug), 0);
  });

  it('answers keyed repeats of an order on a hold, at once and later, with the one order, the hold taken over once', async () => {
    const mug = await stockedProduct(stack, 5);
    const holdId = await heldFor(mug, 2);
    const keyed = () =>
      call(stack, 'POST', '/orders', {
        key: KEYS.alice,
        headers: { 'Idempotency-Key': `hold-order-${holdId}` },
        body: { items: [{ productId: mug.productId, quantity: 2 }], shippingAddress: '1 Main St', reservationId: holdId },
      });

    const together = await Promise.all([keyed(), keyed(), keyed()]);
    const later = await keyed();

    for (const res of [...together, later]) assert.equal(res.status, 201, JSON.stringify(res.body));
    const ids = new Set([...together, later].map((res) => res.body.data.id as string));
    assert.equal(ids.size, 1, `one order for one key: ${[...ids].join(', ')}`);
    assert.equal(await reserved(mug), 2, 'the units are reserved once');
    assert.deepEqual(await holdStatus(holdId), { status: 'converted', orderId: [...ids][0] });
  });

  it('lets exactly one of two orders racing for one hold have it; the other is refused HOLD_NOT_ACTIVE', async () => {
    const mug = await stockedProduct(stack, 3);
    const holdId = await heldFor(mug, 3);

    const answers = await Promise.all([placeOn(holdId, mug, 3), placeOn(holdId, mug, 3)]);

    assert.deepEqual(answers.map((res) => res.status).sort(), [201, 409], JSON.stringify(answers.map((res) => res.body)));
    assert.equal(answers.find((res) => res.status === 409)!.body.error.code, 'HOLD_NOT_ACTIVE');
    assert.equal(await reserved(mug), 3);
    assert.equal((await holdStatus(holdId)).orderId, answers.find((res) => res.status === 201)!.body.data.id);
  });

  it('ends with one outcome when an order and a release race for a hold, and the stock agrees', async () => {
    for (let round = 0; round < 3; round++) {
      const mug = await stockedProduct(stack, 4);
      const holdId = await heldFor(mug, 2);

      const [order, release] = await Promise.all([
        placeOn(holdId, mug, 2),
        call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId: holdId } }),
      ]);

      const hold = await holdStatus(holdId);
      if (order.status === 201) {
        assert.equal(release.status, 409, 'a hold an order took cannot be released');
        assert.deepEqual(hold, { status: 'converted', orderId: order.body.data.id });
        assert.equal(await reserved(mug), 2);
      } else {
        assert.equal(order.status, 409, JSON.stringify(order.body));
        assert.equal(order.body.error.code, 'HOLD_NOT_ACTIVE');
        assert.equal(release.status, 200);
        assert.equal(hold.status, 'released');
        assert.equal(await reserved(mug), 0);
      }
    }
  });

  it('refuses other quantities with HOLD_MISMATCH and keeps the hold; a released hold answers HOLD_NOT_ACTIVE', async () => {
    const mug = await stockedProduct(stack, 5);
    const holdId = await heldFor(mug, 2);

    const mismatch = await placeOn(holdId, mug, 3);

    assert.equal(mismatch.status, 409, JSON.stringify(mismatch.body));
    assert.equal(mismatch.body.error.code, 'HOLD_MISMATCH');
    assert.equal((await holdStatus(holdId)).status, 'active');
    assert.equal(await reserved(mug), 2);

    await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId: holdId } });
    const released = await placeOn(holdId, mug, 2);
    assert.equal(released.status, 409);
    assert.equal(released.body.error.code, 'HOLD_NOT_ACTIVE');
    assert.equal(await reserved(mug), 0);
  });

  it('answers 404 to a customer placing an order on another customer’s hold, changing nothing', async () => {
    const mug = await stockedProduct(stack, 5);
    const holdId = await heldFor(mug, 2, KEYS.bob);

    const res = await placeOn(holdId, mug, 2, KEYS.alice);

    assert.equal(res.status, 404);
    assert.equal((await holdStatus(holdId)).status, 'active');
    assert.equal(await reserved(mug), 2);
    await call(stack, 'POST', '/inventory/release', { key: KEYS.bob, body: { reservationId: holdId } });
  });
});
