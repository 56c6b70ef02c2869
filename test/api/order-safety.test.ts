/**
 * The races, lost answers and retries a real shop meets, on the real stack: nothing may ever be
 * lost or kept wrongly, whatever runs at the same moment.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIdFor } from '../../domain/order';
import { call, type CallResult } from '../support/http';
import { KEYS, SCOPED_WAREHOUSE } from '../support/stack';
import { suiteStack } from './suite-stack';
import { orderStatusBecomes } from './order-status';
import { stockedProduct, type StockedProduct } from './seed-catalog';

describe('API: nothing lost when requests race, answers are lost and requests are retried', () => {
  // Payments answer (or are given up on) within a second.
  const stack = suiteStack({ env: { RESERVATION_TTL: '2m', PAYMENT_TIMEOUT: '1s', RETURN_WINDOW: '1h' } });

  async function place(p: StockedProduct, quantity: number, headers?: Record<string, string>): Promise<string> {
    const res = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity }], shippingAddress: '1 Main St' },
      headers,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.id;
  }

  async function paidOrder(p: StockedProduct, quantity = 1): Promise<{ orderId: string; deliveryOrderId: string }> {
    const orderId = await place(p, quantity);
    const paid = await pay(orderId, 'tok_visa');
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return { orderId, deliveryOrderId: paid.body.data.deliveryOrderIds[0] };
  }

  function pay(orderId: string, paymentToken: string, headers?: Record<string, string>): Promise<CallResult> {
    return call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.alice, body: { paymentToken }, headers });
  }

  function cancel(orderId: string, headers?: Record<string, string>, reason = 'changed my mind'): Promise<CallResult> {
    return call(stack, 'POST', `/orders/${orderId}/cancel`, { key: KEYS.alice, body: { reason }, headers });
  }

  function move(deliveryOrderId: string, step: 'ship' | 'deliver', headers?: Record<string, string>, key: string = KEYS.warehouse) {
    return call(stack, 'POST', `/delivery-orders/${deliveryOrderId}/${step}`, { key, headers });
  }

  async function level(p: StockedProduct): Promise<{ onHand: number; reserved: number }> {
    const [row] = await stack.database.sql<Array<{ onHand: number; reserved: number }>>`
      SELECT on_hand AS "onHand", reserved FROM inventory_levels WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!;
  }

  async function money(orderId: string): Promise<{ statuses: string[]; refunded: number }> {
    const payments = await stack.database.sql<Array<{ status: string }>>`SELECT status FROM payments WHERE order_id = ${orderId} ORDER BY created_at`;
    const [refunded] = await stack.database.sql`SELECT coalesce(sum(amount), 0)::bigint AS amount FROM refunds WHERE order_id = ${orderId}`;
    return { statuses: payments.map((p) => p.status), refunded: refunded!.amount as number };
  }

  describe('a shipment racing the customer’s cancel', () => {
    it('lets exactly one of them win for each of 30 paid orders, and money, goods and the read model agree', async function () {
      this.timeout(300_000);
      const p = await stockedProduct(stack, 30, 1000);
      const orders = await Promise.all(Array.from({ length: 30 }, () => paidOrder(p)));

      const races = await Promise.all(
        orders.map(async ({ orderId, deliveryOrderId }, n) => {
          const requests = [() => move(deliveryOrderId, 'ship'), () => cancel(orderId)];
          if (n % 2 === 1) requests.reverse();
          const answers = await Promise.all(requests.map((send) => send()));
          const [shipped, cancelled] = n % 2 === 1 ? [answers[1]!, answers[0]!] : [answers[0]!, answers[1]!];
          return { orderId, deliveryOrderId, shipped, cancelled };
        }),
      );

      let shipments = 0;
      for (const { orderId, deliveryOrderId, shipped, cancelled } of races) {
        assert.deepEqual([shipped.status, cancelled.status].sort(), [200, 409], `order ${orderId}: ship ${shipped.status}, cancel ${cancelled.status}`);
        const order = (await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data;
        const delivery = (await call(stack, 'GET', `/delivery-orders/${deliveryOrderId}`, { key: KEYS.admin })).body.data;
        const { statuses, refunded } = await money(orderId);
        if (shipped.status === 200) {
          shipments += 1;
          assert.equal(cancelled.body.error.code, 'ORDER_NOT_CANCELLABLE');
          assert.equal(shipped.body.data.status, 'shipped');
          assert.deepEqual([order.status, delivery.status, statuses, refunded], ['shipped', 'shipped', ['succeeded'], 0]);
        } else {
          assert.equal(shipped.body.error.code, 'DELIVERY_ORDER_NOT_SHIPPABLE');
          assert.equal(cancelled.body.data.status, 'cancelled');
          assert.deepEqual([order.status, delivery.status, statuses, refunded], ['cancelled', 'cancelled', ['refunded'], 1000]);
        }
      }
      // What left the warehouse is gone from on hand; everything cancelled is back.
      assert.deepEqual(await level(p), { onHand: 30 - shipments, reserved: 0 });
    });
  });

  describe('a charge whose answer was lost (tok_lost)', () => {
    it('is given back when the order is then cancelled', async function () {
      this.timeout(60_000);
      const p = await stockedProduct(stack, 5);
      const orderId = await place(p, 1);
      assert.equal((await pay(orderId, 'tok_lost')).status, 503);

      const cancelled = await cancel(orderId);

      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.deepEqual((await money(orderId)).statuses, ['voided']);
    });

    it('is used by the next payment, so the customer is charged once', async function () {
      this.timeout(60_000);
      const p = await stockedProduct(stack, 5, 700);
      const orderId = await place(p, 1);
      assert.equal((await pay(orderId, 'tok_lost')).status, 503);

      const paid = await pay(orderId, 'tok_visa');

      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      assert.equal(paid.body.data.status, 'confirmed');
      const [charges] = await stack.database.sql`
        SELECT count(*)::int AS n, coalesce(sum(amount), 0)::bigint AS amount FROM sandbox_charges
        WHERE idempotency_key LIKE ${`${orderId}:%`} AND status = 'succeeded'`;
      assert.deepEqual({ ...charges }, { n: 1, amount: 700 });
    });
  });

  describe('a workflow cancelled from the Web UI after the goods left', () => {
    it('restocks and refunds nothing after shipment, and the delivery goes on', async () => {
      const p = await stockedProduct(stack, 3, 900);
      const { orderId, deliveryOrderId } = await paidOrder(p);
      assert.equal((await move(deliveryOrderId, 'ship')).status, 200);

      await stack.client.workflow.getHandle(workflowIdFor(orderId)).cancel();
      const delivered = await move(deliveryOrderId, 'deliver');

      assert.equal(delivered.status, 200, JSON.stringify(delivered.body));
      await orderStatusBecomes(stack, orderId, 'delivered');
      assert.deepEqual(await money(orderId), { statuses: ['succeeded'], refunded: 0 });
      assert.deepEqual(await level(p), { onHand: 2, reserved: 0 });
    });

    it('after a partial return gives back only what was returned, once', async () => {
      const p = await stockedProduct(stack, 3, 900);
      const { orderId, deliveryOrderId } = await paidOrder(p, 2);
      assert.equal((await move(deliveryOrderId, 'ship')).status, 200);
      assert.equal((await move(deliveryOrderId, 'deliver')).status, 200);
      await orderStatusBecomes(stack, orderId, 'delivered');
      const returned = await call(stack, 'POST', `/orders/${orderId}/returns`, {
        key: KEYS.alice,
        body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity: 1 }] },
      });
      assert.equal(returned.status, 201, JSON.stringify(returned.body));

      await stack.client.workflow.getHandle(workflowIdFor(orderId)).cancel();
      await sleep(1_000);

      assert.deepEqual(await level(p), { onHand: 2, reserved: 0 }, 'the returned unit was restocked twice, or the kept one restocked');
      assert.deepEqual(await money(orderId), { statuses: ['succeeded'], refunded: 900 });
      assert.equal((await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data.status, 'delivered');
    });
  });

  describe('the largest order the schemas accept', () => {
    it('is placed, paid and cancelled with exact money, never overflowing', async function () {
      this.timeout(60_000);
      const price = 2_147_483_647;
      const products = await Promise.all(Array.from({ length: 100 }, () => stockedProduct(stack, 10_000, price)));
      const items = products.map((p) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity: 10_000 }));

      const placed = await call(stack, 'POST', '/orders', { key: KEYS.alice, body: { items, shippingAddress: '1 Main St' } });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const total = price * 10_000 * 100;
      assert.equal(placed.body.data.total, total);
      const orderId = placed.body.data.id;
      assert.equal((await pay(orderId, 'tok_visa')).status, 200);
      assert.equal((await cancel(orderId)).status, 200);

      assert.deepEqual(await money(orderId), { statuses: ['refunded'], refunded: total });
    });
  });

  describe('idempotency kept by this service', () => {
    it('answers a keyed repeat of a finished order from the database after its saga is gone, starting nothing', async () => {
      const p = await stockedProduct(stack, 3);
      const headers = { 'Idempotency-Key': `gone-${Date.now()}` };
      const orderId = await place(p, 1, headers);
      const { deliveryOrderIds } = (await pay(orderId, 'tok_visa')).body.data;
      for (const step of ['ship', 'deliver'] as const) assert.equal((await move(deliveryOrderIds[0], step)).status, 200);
      await orderStatusBecomes(stack, orderId, 'delivered');
      const handle = stack.client.workflow.getHandle(workflowIdFor(orderId));
      await handle.terminate('as if the engine purged it');
      await stack.client.workflowService.deleteWorkflowExecution({
        namespace: stack.config.TEMPORAL_NAMESPACE,
        workflowExecution: { workflowId: workflowIdFor(orderId) },
      });
      await untilGone(orderId);

      const repeat = await call(stack, 'POST', '/orders', {
        key: KEYS.alice,
        body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity: 1 }], shippingAddress: '1 Main St' },
        headers,
      });

      assert.equal(repeat.status, 201, JSON.stringify(repeat.body));
      assert.deepEqual([repeat.body.data.id, repeat.body.data.status], [orderId, 'delivered']);
      await sleep(1_000);
      await assert.rejects(handle.describe(), WorkflowNotFoundError, 'a keyed repeat started a saga over a finished order');
      assert.equal((await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data.status, 'delivered');
    });

    it('answers a retried payment with the first answer: 200 and one charge, not 409', async () => {
      const p = await stockedProduct(stack, 3, 500);
      const orderId = await place(p, 1);
      const headers = { 'Idempotency-Key': `pay-${orderId}` };

      const [first, second] = await Promise.all([pay(orderId, 'tok_visa', headers), pay(orderId, 'tok_visa', headers)]);
      const third = await pay(orderId, 'tok_visa', headers);

      assert.deepEqual([first.status, second.status, third.status], [200, 200, 200]);
      assert.equal(third.body.data.status, 'confirmed');
      assert.deepEqual((await money(orderId)).statuses, ['succeeded']);
      const reused = await pay(orderId, 'tok_other_card', headers);
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('answers a payment retried with its key after a 503 while the worker was down with 200, charging once', async function () {
      this.timeout(120_000);
      const p = await stockedProduct(stack, 3, 600);
      const orderId = await place(p, 1);
      const headers = { 'Idempotency-Key': `restart-${orderId}` };
      await stack.stopWorker();
      let first: CallResult;
      try {
        first = await pay(orderId, 'tok_visa', headers);
      } finally {
        await stack.startWorker();
      }

      const retry = await pay(orderId, 'tok_visa', headers);

      assert.deepEqual([first.status, first.body.error?.code], [503, 'INVENTORY_UNAVAILABLE']);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.data.status, 'confirmed');
      assert.deepEqual(await money(orderId), { statuses: ['succeeded'], refunded: 0 });
    });

    it('answers a keyed repeat of a refused payment with the same refusal, while a payment without a key is judged afresh', async () => {
      const p = await stockedProduct(stack, 3);
      const orderId = await place(p, 1);
      const headers = { 'Idempotency-Key': `declined-${orderId}` };
      assert.equal((await pay(orderId, 'tok_decline', headers)).status, 402);
      assert.equal((await pay(orderId, 'tok_visa')).status, 200);

      const repeat = await pay(orderId, 'tok_decline', headers);
      const unkeyed = await pay(orderId, 'tok_visa');

      assert.deepEqual([repeat.status, repeat.body.error.code], [402, 'PAYMENT_DECLINED']);
      assert.deepEqual([unkeyed.status, unkeyed.body.error.code], [409, 'ORDER_NOT_PAYABLE']);
    });

    it('answers a retried cancel with 200 and the cancelled order; a reused key with another reason is 422', async () => {
      const p = await stockedProduct(stack, 3);
      const orderId = await place(p, 1);
      const headers = { 'Idempotency-Key': `cancel-${orderId}` };

      const first = await cancel(orderId, headers);
      const repeat = await cancel(orderId, headers);
      const unkeyed = await cancel(orderId);
      const reused = await cancel(orderId, headers, 'another reason');

      assert.deepEqual([first.status, repeat.status, repeat.body.data.status], [200, 200, 'cancelled']);
      assert.deepEqual([unkeyed.status, unkeyed.body.error.code], [409, 'ORDER_NOT_CANCELLABLE']);
      assert.deepEqual([reused.status, reused.body.error.code], [422, 'IDEMPOTENCY_KEY_REUSED']);
    });

    it('takes a return retried without a key once: the retry of "everything" finds nothing left', async () => {
      const p = await stockedProduct(stack, 3, 800);
      const { orderId, deliveryOrderId } = await paidOrder(p, 2);
      for (const step of ['ship', 'deliver'] as const) assert.equal((await move(deliveryOrderId, step)).status, 200);
      await orderStatusBecomes(stack, orderId, 'delivered');
      const everything = () => call(stack, 'POST', `/orders/${orderId}/returns`, { key: KEYS.alice, body: {} });

      const [first, retry] = await Promise.all([everything(), everything()]);

      assert.deepEqual([first.status, retry.status].sort(), [201, 409]);
      const returns = await stack.database.sql`SELECT count(*)::int AS n FROM order_returns WHERE order_id = ${orderId}`;
      assert.equal(returns[0]!.n, 1);
      assert.deepEqual(await money(orderId), { statuses: ['refunded'], refunded: 1600 });
      assert.deepEqual(await level(p), { onHand: 3, reserved: 0 });
    });

    it('answers a keyed ship retried after it was applied with 200, and the same delivery order', async () => {
      const p = await stockedProduct(stack, 3);
      const { deliveryOrderId } = await paidOrder(p);
      const headers = { 'Idempotency-Key': `ship-${deliveryOrderId}` };

      const [first, second] = await Promise.all([move(deliveryOrderId, 'ship', headers), move(deliveryOrderId, 'ship', headers)]);
      const unkeyed = await move(deliveryOrderId, 'ship');

      assert.deepEqual([first.status, second.status, second.body.data.status], [200, 200, 'shipped']);
      assert.deepEqual([unkeyed.status, unkeyed.body.error.code], [409, 'DELIVERY_ORDER_NOT_SHIPPABLE']);
    });
  });

  describe('delivery orders', () => {
    it('carry the address to ship to', async () => {
      const p = await stockedProduct(stack, 3);
      const { deliveryOrderId } = await paidOrder(p);

      const res = await call(stack, 'GET', `/delivery-orders/${deliveryOrderId}`, { key: KEYS.warehouse });

      assert.equal(res.body.data.shipTo, '1 Main St');
    });

    it('are seen and moved by a scoped warehouse credential only in its own warehouse', async () => {
      const p = await stockedProduct(stack, 3, 1250, { warehouseId: SCOPED_WAREHOUSE });
      const other = await stockedProduct(stack, 3);
      const { deliveryOrderId } = await paidOrder(p);
      const { deliveryOrderId: elsewhere } = await paidOrder(other);
      const scoped = KEYS.scopedWarehouse;

      const own = await call(stack, 'GET', `/delivery-orders/${deliveryOrderId}`, { key: scoped });
      const foreign = await call(stack, 'GET', `/delivery-orders/${elsewhere}`, { key: scoped });
      const foreignShip = await move(elsewhere, 'ship', undefined, scoped);
      const list = await call(stack, 'GET', '/delivery-orders?limit=100', { key: scoped });
      const ship = await move(deliveryOrderId, 'ship', undefined, scoped);

      assert.equal(own.status, 200);
      assert.deepEqual([foreign.status, foreign.body.error.code], [404, 'DELIVERY_ORDER_NOT_FOUND']);
      assert.deepEqual([foreignShip.status, foreignShip.body.error.code], [404, 'DELIVERY_ORDER_NOT_FOUND']);
      assert.ok(list.body.data.every((d: { warehouseId: string }) => d.warehouseId === p.warehouseId));
      assert.equal(ship.status, 200);
      assert.equal((await call(stack, 'GET', `/delivery-orders/${elsewhere}`, { key: KEYS.admin })).body.data.status, 'reserved');
    });
  });

  async function untilGone(orderId: string): Promise<void> {
    const handle = stack.client.workflow.getHandle(workflowIdFor(orderId));
    // The server deletes in the background; under load that takes a while.
    for (let attempt = 0; attempt < 600; attempt++) {
      try {
        await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
      await sleep(100);
    }
    assert.fail(`the saga of order ${orderId} was not deleted`);
  }
});

