import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';
import { orderStatusBecomes as waitForOrderStatus } from './order-status';
import { stockedProduct, type StockedProduct } from './seed-catalog';

describe('API delivery orders', () => {
  const stack = suiteStack();

  /** A paid order over the given lines; answers its id and delivery order ids. */
  async function paidOrder(lines: Array<[StockedProduct, number]>): Promise<{ orderId: string; deliveryOrderIds: string[] }> {
    const items = lines.map(([p, quantity]) => ({ productId: p.productId, warehouseId: p.warehouseId, quantity }));
    const placed = await call(stack, 'POST', '/orders', { key: KEYS.alice, body: { items, shippingAddress: '1 Main St' } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const paid = await call(stack, 'POST', `/orders/${placed.body.data.id}/payment`, { key: KEYS.alice });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return { orderId: placed.body.data.id, deliveryOrderIds: paid.body.data.deliveryOrderIds };
  }

  /** The order's status once the saga has caught up (it records the order after the delivery order). */
  const orderStatusBecomes = (orderId: string, status: string) => waitForOrderStatus(stack, orderId, status);

  it('serves the delivery order created at payment', async () => {
    const mug = await stockedProduct(stack, 10);
    const { orderId, deliveryOrderIds } = await paidOrder([[mug, 2]]);
    assert.equal(deliveryOrderIds.length, 1);
    const res = await call(stack, 'GET', `/delivery-orders/${deliveryOrderIds[0]}`, { key: KEYS.warehouse });
    assert.equal(res.status, 200);
    const { createdAt, updatedAt, ...rest } = res.body.data;
    assert.ok(Date.parse(createdAt) && Date.parse(updatedAt));
    assert.deepEqual(rest, {
      id: deliveryOrderIds[0],
      orderId,
      warehouseId: mug.warehouseId,
      status: 'reserved',
      shipTo: '1 Main St',
      items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 2 }],
    });
    const ofOrder = await call(stack, 'GET', `/orders/${orderId}/delivery-orders`, { key: KEYS.alice });
    assert.deepEqual(ofOrder.body.data, [res.body.data]);
  });

  it('ships then delivers, moving the order along, and refuses steps out of order with 409', async () => {
    const mug = await stockedProduct(stack, 10);
    const { orderId, deliveryOrderIds } = await paidOrder([[mug, 1]]);
    const id = deliveryOrderIds[0]!;

    const early = await call(stack, 'POST', `/delivery-orders/${id}/deliver`, { key: KEYS.warehouse });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'DELIVERY_ORDER_NOT_DELIVERABLE');

    const shipped = await call(stack, 'POST', `/delivery-orders/${id}/ship`, { key: KEYS.warehouse });
    assert.equal(shipped.status, 200, JSON.stringify(shipped.body));
    assert.equal(shipped.body.data.status, 'shipped');
    await orderStatusBecomes(orderId, 'shipped');

    const twice = await call(stack, 'POST', `/delivery-orders/${id}/ship`, { key: KEYS.admin });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'DELIVERY_ORDER_NOT_SHIPPABLE');

    const delivered = await call(stack, 'POST', `/delivery-orders/${id}/deliver`, { key: KEYS.admin });
    assert.equal(delivered.status, 200);
    assert.equal(delivered.body.data.status, 'delivered');
    await orderStatusBecomes(orderId, 'delivered');

    const again = await call(stack, 'POST', `/delivery-orders/${id}/deliver`, { key: KEYS.warehouse });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'DELIVERY_ORDER_NOT_DELIVERABLE');
  });

  it('marks the order shipped only once every warehouse has shipped', async () => {
    const east = await stockedProduct(stack, 10);
    const west = await stockedProduct(stack, 10);
    const { orderId, deliveryOrderIds } = await paidOrder([
      [east, 1],
      [west, 2],
    ]);
    assert.equal(deliveryOrderIds.length, 2);
    assert.equal((await call(stack, 'POST', `/delivery-orders/${deliveryOrderIds[0]}/ship`, { key: KEYS.warehouse })).status, 200);
    await sleep(300);
    assert.equal((await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data.status, 'confirmed');
    assert.equal((await call(stack, 'POST', `/delivery-orders/${deliveryOrderIds[1]}/ship`, { key: KEYS.warehouse })).status, 200);
    await orderStatusBecomes(orderId, 'shipped');
  });

  it('lists delivery orders newest first, filtered by status and warehouse, with page meta', async () => {
    const mug = await stockedProduct(stack, 10);
    const first = await paidOrder([[mug, 1]]);
    const second = await paidOrder([[mug, 1]]);
    await call(stack, 'POST', `/delivery-orders/${first.deliveryOrderIds[0]}/ship`, { key: KEYS.warehouse });

    const reserved = await call(stack, 'GET', `/delivery-orders?warehouseId=${mug.warehouseId}&status=reserved`, { key: KEYS.warehouse });
    assert.equal(reserved.status, 200);
    assert.deepEqual(reserved.body.data.map((d: { id: string }) => d.id), second.deliveryOrderIds);
    assert.deepEqual(
      [reserved.body.meta.page, reserved.body.meta.limit, reserved.body.meta.total, reserved.body.meta.totalPages],
      [1, 20, 1, 1],
    );
    const all = await call(stack, 'GET', `/delivery-orders?warehouseId=${mug.warehouseId}&limit=1&page=2`, { key: KEYS.admin });
    assert.deepEqual(all.body.data.map((d: { id: string }) => d.id), first.deliveryOrderIds);
    assert.equal(all.body.meta.totalPages, 2);
    const bad = await call(stack, 'GET', '/delivery-orders?status=lost', { key: KEYS.admin });
    assert.equal(bad.status, 400);
  });

  it('answers 404 DELIVERY_ORDER_NOT_FOUND, 400 for malformed ids and 403 for customers, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const { deliveryOrderIds } = await paidOrder([[mug, 1]]);
    const before = await databaseSnapshot(stack);
    for (const path of [`/delivery-orders/${randomUUID()}`, `/delivery-orders/${randomUUID()}/ship`]) {
      const res = await call(stack, path.endsWith('ship') ? 'POST' : 'GET', path, { key: KEYS.warehouse });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, 'DELIVERY_ORDER_NOT_FOUND');
    }
    assert.equal((await call(stack, 'POST', '/delivery-orders/123/ship', { key: KEYS.warehouse })).status, 400);
    const customer = await call(stack, 'POST', `/delivery-orders/${deliveryOrderIds[0]}/ship`, { key: KEYS.alice });
    assert.equal(customer.status, 403);
    assert.deepEqual(await databaseSnapshot(stack), before);
  });
});
