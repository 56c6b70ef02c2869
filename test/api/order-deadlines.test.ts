import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chargeBoundMs } from '../../domain/payment';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { stockedProduct, type StockedProduct } from './seed-catalog';

/** A short reservation TTL and payment timeout, so expiry and a silent provider happen within a test. */
describe('API orders against the clock', () => {
  const stack = suiteStack({ env: { RESERVATION_TTL: '6s', PAYMENT_TIMEOUT: '300ms' } });

  async function place(p: StockedProduct, quantity: number): Promise<string> {
    const res = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity }], shippingAddress: 'x' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.id;
  }

  /** Polls the order until it is `wanted` or `withinMs` passed; returns the status it last had. */
  async function statusWithin(id: string, withinMs: number, wanted: string): Promise<string> {
    const deadline = Date.now() + withinMs;
    let status = '';
    while (Date.now() < deadline && status !== wanted) {
      await sleep(250);
      status = (await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.status;
    }
    return status;
  }

  async function reserved(p: StockedProduct): Promise<number> {
    const [row] = await stack.database.sql`
      SELECT reserved FROM inventory_levels WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!.reserved as number;
  }

  it('answers 503 PAYMENT_UNAVAILABLE when the provider stays silent, and keeps the order payable, its hold extended for the charge', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 2);
    const before = (await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.reservationExpiresAt as string;
    const res = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_timeout' } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'PAYMENT_UNAVAILABLE');
    const order = await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice });
    assert.equal(order.body.data.status, 'awaiting_payment');
    // The payment started in the hold's last minute: the saga extended it by the longest a charge takes.
    assert.equal(Date.parse(order.body.data.reservationExpiresAt) - Date.parse(before), chargeBoundMs(300));
    assert.equal(await reserved(mug), 2);
  });

  it('expires an unpaid order after RESERVATION_TTL: stock released, pay and cancel refused with 409', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 4);
    assert.equal(await reserved(mug), 4);
    assert.equal(await statusWithin(id, 20_000, 'expired'), 'expired');
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

  it('extends an unpaid order once: the hold and the order move, and it expires only at the new time', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 3);
    const before = (await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.reservationExpiresAt as string;

    const strangers = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.bob, body: { by: 8 } });
    assert.equal(strangers.status, 403, 'another customer’s order, as everywhere in the orders API');
    const bad = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: { by: -1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_ERROR');

    const extended = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: { by: 8 } });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    assert.equal(Date.parse(extended.body.data.expiresAt), Date.parse(before) + 8_000);
    const [hold] = await stack.database.sql`SELECT expires_at FROM stock_reservations WHERE order_id = ${id}`;
    assert.equal(new Date(hold!.expires_at as string).toISOString(), extended.body.data.expiresAt);
    const order = await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice });
    assert.equal(order.body.data.reservationExpiresAt, extended.body.data.expiresAt);

    const again = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: { by: 8 } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'RESERVATION_NOT_EXTENDABLE');

    // Past the first deadline the stock is still held; past the new one it goes back.
    await sleep(Math.max(0, Date.parse(before) - Date.now()) + 2_000);
    assert.equal((await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.status, 'awaiting_payment');
    assert.equal(await reserved(mug), 3);
    assert.equal(await statusWithin(id, 25_000, 'expired'), 'expired');
    assert.equal(await reserved(mug), 0);
    assert.ok(Date.now() >= Date.parse(extended.body.data.expiresAt), 'expired before the extended deadline');
  });

  it('refuses to extend a paid order with 409 RESERVATION_NOT_EXTENDABLE, and answers a keyed repeat as first', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 1);
    const headers = { 'Idempotency-Key': `extend-${id}` };
    const first = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: {}, headers });
    assert.equal(first.status, 200);
    const repeat = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: {}, headers });
    assert.equal(repeat.status, 200);
    assert.equal(repeat.body.data.expiresAt, first.body.data.expiresAt, 'the repeat extends nothing more');

    const paid = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
    assert.equal(paid.status, 200);
    const late = await call(stack, 'POST', `/orders/${id}/extend-reservation`, { key: KEYS.alice, body: { by: 5 } });
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'RESERVATION_NOT_EXTENDABLE');
  });

  it('tries a keyed payment again when its first attempt answered 503 PAYMENT_UNAVAILABLE, charging once', async () => {
    const mug = await stockedProduct(stack, 10);
    const id = await place(mug, 1);
    const headers = { 'Idempotency-Key': `pay-${id}` };
    const body = { paymentToken: 'tok_timeout' };

    const silent = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body, headers });
    assert.equal(silent.status, 503);
    assert.equal(silent.body.error.code, 'PAYMENT_UNAVAILABLE');
    // The provider took the charge after all, late: asked again under its key, it answers it.
    const [pending] = await stack.database.sql`SELECT idempotency_key, amount, currency FROM payments WHERE order_id = ${id}`;
    await stack.database.sql`
      INSERT INTO sandbox_charges (idempotency_key, provider_ref, amount, currency, status)
      VALUES (${pending!.idempotency_key as string}, 'sandbox_ch_late', ${pending!.amount as number}, ${pending!.currency as string}, 'succeeded')`;

    const retried = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body, headers });

    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.data.status, 'confirmed');
    const charges = await stack.database.sql`SELECT status FROM sandbox_charges WHERE idempotency_key LIKE ${`${id}:%`}`;
    assert.deepEqual(charges.map((row) => row.status), ['succeeded'], 'one charge, under the one key');
  });
});
