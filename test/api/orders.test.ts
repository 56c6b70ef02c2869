import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, type CallResult } from '../support/http';
import { KEYS, type Stack } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';
import { orderStatusBecomes } from './order-status';
import { refundedTotal } from './refunds';
import { stockedProduct, type StockedProduct } from './seed-catalog';

const ORDER_FIELDS = [
  'cancelReason',
  'createdAt',
  'currency',
  'customerId',
  'deliveryOrderIds',
  'discount',
  'id',
  'items',
  'links',
  'rejection',
  'reservationExpiresAt',
  'shippingAddress',
  'status',
  'subtotal',
  'total',
  'updatedAt',
  'voucherCode',
];

describe('API orders', () => {
  const stack = suiteStack();

  function place(key: string, lines: Array<[StockedProduct, number]>, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
    const items = lines.map(([p, quantity]) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity }));
    return call(stack, 'POST', '/orders', { key, body: { items, shippingAddress: '1 Main St', ...extra }, headers });
  }

  async function level(p: StockedProduct): Promise<{ onHand: number; reserved: number }> {
    const [row] = await stack.database.sql<Array<{ onHand: number; reserved: number }>>`
      SELECT on_hand AS "onHand", reserved FROM inventory_levels
      WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!;
  }

  function placed(res: CallResult): string {
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.id as string;
  }

  describe('placing', () => {
    it('answers 201 with the Order awaiting payment, priced from the catalog, and holds the stock', async () => {
      const mug = await stockedProduct(stack, 10, 1250);
      const res = await place(KEYS.alice, [[mug, 3]]);
      assert.equal(res.status, 201);
      const order = res.body.data;
      assert.deepEqual(Object.keys(order).sort(), ORDER_FIELDS);
      assert.match(order.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(order.customerId, 'alice');
      assert.equal(order.status, 'awaiting_payment');
      assert.deepEqual(order.items, [
        { productId: mug.productId, warehouseId: mug.warehouseId, quantity: 3, unitPrice: 1250, lineTotal: 3750 },
      ]);
      assert.deepEqual([order.subtotal, order.discount, order.total, order.currency], [3750, 0, 3750, 'USD']);
      assert.deepEqual(order.deliveryOrderIds, []);
      assert.equal(order.voucherCode, null);
      assert.ok(Date.parse(order.reservationExpiresAt) > Date.now() + 14 * 60_000);
      assert.deepEqual(order.links, {
        self: `/api/v1/orders/${order.id}`,
        temporalUi: `http://localhost:8233/namespaces/default/workflows/order-${order.id}`,
      });
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 3 });

      const read = await call(stack, 'GET', `/orders/${order.id}`, { key: KEYS.alice });
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.data, order);

      const holds = await call(stack, 'GET', `/orders/${order.id}/reservations`, { key: KEYS.alice });
      assert.equal(holds.status, 200);
      assert.equal(holds.body.data.length, 1);
      assert.deepEqual(
        { ...holds.body.data[0], id: undefined, expiresAt: undefined },
        { id: undefined, productId: mug.productId, warehouseId: mug.warehouseId, quantity: 3, status: 'active', expiresAt: undefined },
      );
    });

    it('lets an admin place an order for a customer, and requires the customerId', async () => {
      const mug = await stockedProduct(stack, 5);
      const missing = await place(KEYS.admin, [[mug, 1]]);
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, 'VALIDATION_ERROR');
      assert.equal(missing.body.error.details[0].path, 'customerId');
      const carol = await call(stack, 'PUT', '/customers/carol', { key: KEYS.admin, body: { email: 'carol@example.com' } });
      assert.ok([200, 201].includes(carol.status), JSON.stringify(carol.body));
      const res = await place(KEYS.admin, [[mug, 1]], { customerId: 'carol' });
      assert.equal(res.status, 201);
      assert.equal(res.body.data.customerId, 'carol');
    });

    it('answers 409 INSUFFICIENT_INVENTORY with what was short, holding nothing', async () => {
      const mug = await stockedProduct(stack, 2);
      const other = await stockedProduct(stack, 50);
      const before = await databaseSnapshot(stack);
      const res = await place(KEYS.alice, [
        [mug, 3],
        [other, 1],
      ]);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(res.body.error.details.items, [
        { productId: mug.productId, warehouseId: mug.warehouseId, requested: 3, available: 2 },
      ]);
      assert.deepEqual(await level(mug), { onHand: 2, reserved: 0 });
      assert.deepEqual(await level(other), { onHand: 50, reserved: 0 });
      // The saga records the refusal as a rejected order; no stock, ledger or payment row changes.
      const after = (await databaseSnapshot(stack)) as { counts: Record<string, number> };
      const was = before as { counts: Record<string, number> };
      assert.deepEqual(
        { ...after.counts, orders: 0, order_items: 0 },
        { ...was.counts, orders: 0, order_items: 0 },
      );
      const rejected = await stack.database.sql`SELECT status FROM orders WHERE customer_id = 'alice' AND status = 'rejected'`;
      assert.ok(rejected.length >= 1);
    });

    it('answers 422 UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE for unknown or inactive ones, changing nothing', async () => {
      const mug = await stockedProduct(stack, 5);
      const retired = await stockedProduct(stack, 5);
      await call(stack, 'PUT', `/products/${retired.productId}`, { key: KEYS.admin, body: { name: 'Old', price: 1, active: false } });
      const before = await databaseSnapshot(stack);
      const cases: Array<[Array<{ productId: string; warehouseId: string; quantity: number }>, string]> = [
        [[{ productId: 'sku-nope', warehouseId: mug.warehouseId, quantity: 1 }], 'UNKNOWN_PRODUCT'],
        [[{ productId: retired.productId, warehouseId: retired.warehouseId, quantity: 1 }], 'UNKNOWN_PRODUCT'],
        [[{ productId: mug.productId, warehouseId: 'wh-nope', quantity: 1 }], 'UNKNOWN_WAREHOUSE'],
      ];
      for (const [items, code] of cases) {
        const res = await call(stack, 'POST', '/orders', { key: KEYS.alice, body: { items, shippingAddress: 'x' } });
        assert.equal(res.status, 422, JSON.stringify(items));
        assert.equal(res.body.error.code, code);
      }
      assert.deepEqual(await databaseSnapshot(stack), before);
    });

    it('refuses bad input with 400 VALIDATION_ERROR (or MALFORMED_JSON) and changes nothing', async () => {
      const mug = await stockedProduct(stack, 20_000);
      const line = (quantity: unknown) => ({ productId: mug.productId, warehouseId: mug.warehouseId, quantity });
      const valid = { items: [line(1)], shippingAddress: '1 Main St' };
      const before = await databaseSnapshot(stack);
      const bodies: Array<[string, unknown]> = [
        ['zero quantity', { ...valid, items: [line(0)] }],
        ['negative quantity', { ...valid, items: [line(-1)] }],
        ['fractional quantity', { ...valid, items: [line(1.5)] }],
        ['huge quantity', { ...valid, items: [line(10_001)] }],
        ['astronomical quantity', { ...valid, items: [line(1e308)] }],
        ['quantity as a string', { ...valid, items: [line('2')] }],
        ['quantity missing', { ...valid, items: [{ productId: mug.productId, warehouseId: mug.warehouseId }] }],
        ['101 items', { ...valid, items: Array.from({ length: 101 }, () => line(1)) }],
        ['no items', { ...valid, items: [] }],
        ['items not an array', { ...valid, items: line(1) }],
        ['warehouseId malformed', { ...valid, items: [{ ...line(1), warehouseId: 'wh 1' }] }],
        ['warehouseId null', { ...valid, items: [{ ...line(1), warehouseId: null }] }],
        ['voucherCode malformed', { ...valid, voucherCode: 'SAVE 10' }],
        ['voucherCode too long', { ...valid, voucherCode: 'V'.repeat(65) }],
        ['productId malformed', { ...valid, items: [{ ...line(1), productId: 'no spaces allowed' }] }],
        ['shippingAddress missing', { items: valid.items }],
        ['shippingAddress blank', { ...valid, shippingAddress: '   ' }],
        ['shippingAddress too long', { ...valid, shippingAddress: 'x'.repeat(501) }],
        ['shippingAddress a number', { ...valid, shippingAddress: 12 }],
        ['unknown field', { ...valid, price: 1 }],
        ['prices from the client', { ...valid, items: [{ ...line(1), unitPrice: 1 }] }],
        ['body an array', [valid]],
        ['body null', null],
      ];
      for (const [name, body] of bodies) {
        const res = await call(stack, 'POST', '/orders', { key: KEYS.alice, body });
        assert.equal(res.status, 400, name);
        assert.equal(res.body.error.code, 'VALIDATION_ERROR', name);
        assert.ok(res.body.error.details.length > 0, name);
      }
      const malformed = await call(stack, 'POST', '/orders', { key: KEYS.alice, rawBody: '{"items": [' });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.code, 'MALFORMED_JSON');
      const badKey = await call(stack, 'POST', '/orders', {
        key: KEYS.alice,
        body: valid,
        headers: { 'Idempotency-Key': 'k'.repeat(256) },
      });
      assert.equal(badKey.status, 400);
      assert.equal(badKey.body.error.details[0].path, 'idempotency-key');
      assert.deepEqual(await databaseSnapshot(stack), before);
    });

    it('answers 403 when a customer places an order for someone else, changing nothing', async () => {
      const mug = await stockedProduct(stack, 5);
      const before = await databaseSnapshot(stack);
      const res = await place(KEYS.alice, [[mug, 1]], { customerId: 'bob' });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'FORBIDDEN');
      assert.equal((await place(KEYS.alice, [[mug, 1]], { customerId: 'alice' })).status, 201);
      const after = (await databaseSnapshot(stack)) as { counts: { orders: number } };
      assert.equal(after.counts.orders, (before as { counts: { orders: number } }).counts.orders + 1);
    });
  });

  describe('without warehouseId', () => {
    it('allocates by warehouse priority, splitting a line, with one delivery order per warehouse', async () => {
      const near = await stockedProduct(stack, 4, 1000);
      const productId = near.productId;
      const far = `wh-far-${productId}`;
      const preferred = `wh-preferred-${productId}`;
      await call(stack, 'PUT', `/warehouses/${far}`, { key: KEYS.admin, body: { name: 'Far', priority: 50 } });
      await call(stack, 'PUT', `/warehouses/${preferred}`, { key: KEYS.admin, body: { name: 'Preferred', priority: 0 } });
      await call(stack, 'PUT', `/inventory/${productId}/${far}`, { key: KEYS.admin, body: { onHand: 10 } });
      await call(stack, 'PUT', `/inventory/${productId}/${preferred}`, { key: KEYS.admin, body: { onHand: 3 } });

      const res = await call(stack, 'POST', '/orders', {
        key: KEYS.alice,
        body: { items: [{ productId, quantity: 9 }], shippingAddress: '1 Main St' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // Preferred (priority 0) first, then near (priority 1, from stockedProduct), then far.
      const allocation = res.body.data.items.map((i: { warehouseId: string; quantity: number }) => [i.warehouseId, i.quantity]);
      assert.deepEqual(
        allocation.sort(),
        [
          [preferred, 3],
          [near.warehouseId, 4],
          [far, 2],
        ].sort(),
      );
      assert.equal(res.body.data.subtotal, 9000);
      const paid = await call(stack, 'POST', `/orders/${res.body.data.id}/payment`, { key: KEYS.alice });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.data.deliveryOrderIds.length, 3);
    });

    it('answers 409 INSUFFICIENT_INVENTORY when all warehouses together cannot cover a line', async () => {
      const mug = await stockedProduct(stack, 4);
      const res = await call(stack, 'POST', '/orders', {
        key: KEYS.alice,
        body: { items: [{ productId: mug.productId, quantity: 5 }], shippingAddress: '1 Main St' },
      });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(await level(mug), { onHand: 4, reserved: 0 });
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the same order for a repeat, and 422 IDEMPOTENCY_KEY_REUSED for another body', async () => {
      const mug = await stockedProduct(stack, 10);
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const first = await place(KEYS.alice, [[mug, 2]], {}, headers);
      const second = await place(KEYS.alice, [[mug, 2]], {}, headers);
      assert.equal(second.status, 201);
      assert.equal(second.body.data.id, placed(first));
      assert.equal(second.body.data.status, 'awaiting_payment');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 2 });

      const other = await place(KEYS.alice, [[mug, 3]], {}, headers);
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 2 });
    });

    it('places once when the same keyed request arrives twice at the same time', async () => {
      const mug = await stockedProduct(stack, 10);
      const headers = { 'Idempotency-Key': `race-${randomUUID()}` };
      const [a, b] = await Promise.all([place(KEYS.alice, [[mug, 3]], {}, headers), place(KEYS.alice, [[mug, 3]], {}, headers)]);
      assert.equal(placed(a), placed(b));
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 3 });
    });

    it('keeps keys of different callers apart', async () => {
      const mug = await stockedProduct(stack, 10);
      const headers = { 'Idempotency-Key': `shared-${randomUUID()}` };
      const alice = placed(await place(KEYS.alice, [[mug, 1]], {}, headers));
      const bob = placed(await place(KEYS.bob, [[mug, 1]], {}, headers));
      assert.notEqual(alice, bob);
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 2 });
    });

    it('answers from the stored order once the saga has finished', async () => {
      const mug = await stockedProduct(stack, 10);
      const headers = { 'Idempotency-Key': `closed-${randomUUID()}` };
      const id = placed(await place(KEYS.alice, [[mug, 2]], {}, headers));
      assert.equal((await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice })).status, 200);
      await waitForSagaToClose(stack, id);

      const repeat = await place(KEYS.alice, [[mug, 2]], {}, headers);
      assert.equal(repeat.status, 201);
      assert.equal(repeat.body.data.id, id);
      assert.equal(repeat.body.data.status, 'cancelled');
      const other = await place(KEYS.alice, [[mug, 1]], {}, headers);
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 0 });
    });

    it('repeats a refusal with the same code once the rejected saga has finished', async () => {
      const mug = await stockedProduct(stack, 1);
      const headers = { 'Idempotency-Key': `short-${randomUUID()}` };
      const first = await place(KEYS.alice, [[mug, 5]], {}, headers);
      assert.equal(first.status, 409);
      assert.equal(first.body.error.code, 'INSUFFICIENT_INVENTORY');
      const [row] = await stack.database.sql`SELECT id FROM orders WHERE status = 'rejected' ORDER BY created_at DESC LIMIT 1`;
      await waitForSagaToClose(stack, row!.id as string);
      const repeat = await place(KEYS.alice, [[mug, 5]], {}, headers);
      assert.equal(repeat.status, 409);
      assert.equal(repeat.body.error.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(repeat.body.error.details, first.body.error.details);
    });
  });

  describe('paying', () => {
    it('confirms the order, deducts the stock and creates its delivery order', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 4]]));
      const res = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.status, 'confirmed');
      assert.equal(res.body.data.deliveryOrderIds.length, 1);
      assert.deepEqual(await level(mug), { onHand: 6, reserved: 0 });
      const deliveries = await call(stack, 'GET', `/orders/${id}/delivery-orders`, { key: KEYS.alice });
      assert.deepEqual(
        deliveries.body.data.map((d: { id: string }) => d.id),
        res.body.data.deliveryOrderIds,
      );
      const again = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'ORDER_NOT_PAYABLE');
    });

    it('answers 402 PAYMENT_DECLINED and keeps the order payable', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 1]]));
      const declined = await call(stack, 'POST', `/orders/${id}/payment`, {
        key: KEYS.alice,
        body: { paymentToken: 'tok_decline_insufficient_funds' },
      });
      assert.equal(declined.status, 402);
      assert.equal(declined.body.error.code, 'PAYMENT_DECLINED');
      const order = await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice });
      assert.equal(order.body.data.status, 'awaiting_payment');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 1 });

      const paid = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
      assert.equal(paid.status, 200);
      assert.equal(paid.body.data.status, 'confirmed');
    });

    it('refuses bad payment bodies with 400', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 1]]));
      for (const body of [{ paymentToken: 12 }, { paymentToken: '' }, { token: 'tok_visa' }]) {
        const res = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'VALIDATION_ERROR');
      }
      assert.equal((await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.status, 'awaiting_payment');
    });
  });

  describe('pay racing cancel', () => {
    it('settles consistently: cancelled unpaid, paid then cancelled with a refund, or confirmed', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 2]]));
      const [pay, cancel] = await Promise.all([
        call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice }),
        call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice }),
      ]);
      const final = (await call(stack, 'GET', `/orders/${id}`, { key: KEYS.alice })).body.data.status;
      const payments = await stack.database.sql`SELECT status, refunded_at FROM payments WHERE order_id = ${id} AND status = 'succeeded'`;
      if (cancel.status === 409) {
        // The charge went through and the order was no longer cancellable when the cancel was judged.
        assert.equal(cancel.body.error.code, 'ORDER_NOT_CANCELLABLE');
        assert.equal(pay.status, 200);
        assert.equal(final, 'confirmed');
        assert.deepEqual(await level(mug), { onHand: 8, reserved: 0 });
        return;
      }
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      assert.equal(final, 'cancelled');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 0 });
      if (pay.status === 409) {
        assert.equal(pay.body.error.code, 'ORDER_NOT_PAYABLE');
        assert.equal(payments.length, 0, 'nothing was charged');
      } else {
        assert.equal(pay.status, 200);
        assert.equal(payments.length, 1);
        assert.equal(await refundedTotal(stack, id), 2 * mug.price, 'the charge was refunded in full');
      }
    });
  });

  describe('cancelling', () => {
    it('answers 200 with the cancelled order and gives the stock back before answering', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 6]]));
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 6 });
      const res = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice, body: { reason: 'changed my mind' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.status, 'cancelled');
      assert.equal(res.body.data.cancelReason, 'changed my mind');
      assert.deepEqual(await level(mug), { onHand: 10, reserved: 0 });
      const holds = await call(stack, 'GET', `/orders/${id}/reservations`, { key: KEYS.alice });
      assert.deepEqual(
        holds.body.data.map((h: { status: string }) => h.status),
        ['released'],
      );
      const again = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'ORDER_NOT_CANCELLABLE');
      const pay = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice });
      assert.equal(pay.status, 409);
      assert.equal(pay.body.error.code, 'ORDER_NOT_PAYABLE');
    });

    it('after payment refunds the charge, puts the stock back on hand and cancels the delivery orders', async () => {
      const east = await stockedProduct(stack, 10, 1000);
      const west = await stockedProduct(stack, 10, 500);
      const id = placed(await place(KEYS.alice, [
        [east, 3],
        [west, 2],
      ]));
      const paid = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice, body: { paymentToken: 'tok_visa' } });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.deepEqual([await level(east), await level(west)], [{ onHand: 7, reserved: 0 }, { onHand: 8, reserved: 0 }]);

      const res = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice, body: { reason: 'found it cheaper' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.status, 'cancelled');
      assert.equal(res.body.data.cancelReason, 'found it cheaper');
      assert.deepEqual([await level(east), await level(west)], [{ onHand: 10, reserved: 0 }, { onHand: 10, reserved: 0 }]);
      const deliveries = await call(stack, 'GET', `/orders/${id}/delivery-orders`, { key: KEYS.alice });
      assert.deepEqual(deliveries.body.data.map((d: { status: string }) => d.status), ['cancelled', 'cancelled']);
      assert.equal(await refundedTotal(stack, id), 4000);
      const again = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'ORDER_NOT_CANCELLABLE');
    });

    it('answers 409 ORDER_NOT_CANCELLABLE once a delivery order has shipped, changing nothing', async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 1]]));
      const paid = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice });
      const shipped = await call(stack, 'POST', `/delivery-orders/${paid.body.data.deliveryOrderIds[0]}/ship`, { key: KEYS.warehouse });
      assert.equal(shipped.status, 200);
      await orderStatusBecomes(stack, id, 'shipped');
      const before = await databaseSnapshot(stack);
      const res = await call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.alice });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'ORDER_NOT_CANCELLABLE');
      assert.deepEqual(await databaseSnapshot(stack), before);
    });
  });

  describe('reading and ownership', () => {
    it("answers 403 when a customer touches another customer's order, changing nothing", async () => {
      const mug = await stockedProduct(stack, 10);
      const id = placed(await place(KEYS.alice, [[mug, 1]]));
      const before = await databaseSnapshot(stack);
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', `/orders/${id}`],
        ['GET', `/orders/${id}/reservations`],
        ['GET', `/orders/${id}/delivery-orders`],
        ['POST', `/orders/${id}/payment`, {}],
        ['POST', `/orders/${id}/cancel`, {}],
        ['GET', '/orders?customerId=alice'],
      ];
      for (const [method, path, body] of attempts) {
        const res = await call(stack, method, path, { key: KEYS.bob, body });
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(res.body.error.code, 'FORBIDDEN');
      }
      assert.deepEqual(await databaseSnapshot(stack), before);
      assert.equal((await call(stack, 'GET', `/orders/${id}`, { key: KEYS.admin })).status, 200);
    });

    it('answers 404 ORDER_NOT_FOUND for an unknown order and 400 for a malformed id', async () => {
      const unknown = randomUUID();
      for (const [method, path] of [
        ['GET', `/orders/${unknown}`],
        ['POST', `/orders/${unknown}/payment`],
        ['POST', `/orders/${unknown}/cancel`],
        ['GET', `/orders/${unknown}/reservations`],
      ] as const) {
        const res = await call(stack, method, path, { key: KEYS.admin });
        assert.equal(res.status, 404, path);
        assert.equal(res.body.error.code, 'ORDER_NOT_FOUND');
      }
      const malformed = await call(stack, 'GET', '/orders/not-a-uuid', { key: KEYS.admin });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.details[0].location, 'params');
    });

    it('lists orders newest first, customers seeing only their own, with filters and page meta', async () => {
      const mug = await stockedProduct(stack, 100);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(placed(await place(KEYS.bob, [[mug, 1]])));
      await call(stack, 'POST', `/orders/${ids[0]}/cancel`, { key: KEYS.bob });

      const mine = await call(stack, 'GET', '/orders?limit=2', { key: KEYS.bob });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.data.map((o: { id: string }) => o.id), [ids[2], ids[1]]);
      assert.ok(mine.body.data.every((o: { customerId: string }) => o.customerId === 'bob'));
      const total = mine.body.meta.total as number;
      assert.deepEqual(mine.body.meta, { requestId: mine.body.meta.requestId, page: 1, limit: 2, total, totalPages: Math.ceil(total / 2) });

      const cancelled = await call(stack, 'GET', '/orders?status=cancelled&customerId=bob', { key: KEYS.admin });
      assert.ok(cancelled.body.data.some((o: { id: string }) => o.id === ids[0]));
      assert.ok(cancelled.body.data.every((o: { status: string; customerId: string }) => o.status === 'cancelled' && o.customerId === 'bob'));

      const all = await call(stack, 'GET', '/orders?limit=100', { key: KEYS.admin });
      assert.ok(all.body.data.some((o: { customerId: string }) => o.customerId === 'alice'));
      const times = all.body.data.map((o: { createdAt: string }) => o.createdAt);
      assert.deepEqual(times, [...times].sort().reverse());

      const bad = await call(stack, 'GET', '/orders?status=lost', { key: KEYS.admin });
      assert.equal(bad.status, 400);
    });
  });
});

/** Waits until the order's workflow has completed, so a repeat POST meets a closed saga. */
async function waitForSagaToClose(stack: Stack, orderId: string): Promise<void> {
  const handle = stack.client.workflow.getHandle(`order-${orderId}`);
  await handle.result().catch(() => undefined);
}
