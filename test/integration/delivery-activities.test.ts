import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { createDeliveryActivities, type DeliveryActivities } from '../../activities/delivery';
import { openDatabase, type Database, type Db } from '../../db/client';
import { deliveryOrderItems, deliveryOrders } from '../../db/schema';
import { seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { expectRefusal } from '../support/refusal';
import { reserveOrder } from '../support/reserved-order';

describe('delivery activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let delivery: DeliveryActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
    delivery = createDeliveryActivities(db);
  });

  after(async function () {
    await database?.close();
  });

  /** An order with lines in two warehouses, the later-named warehouse on the first line. */
  async function orderFromTwoWarehouses() {
    const run = randomBytes(3).toString('hex');
    const east = await seedWarehouse(db, { id: `wh-${run}-east` });
    const west = await seedWarehouse(db, { id: `wh-${run}-west` });
    const [mug, cup] = [await seedProduct(db), await seedProduct(db)];
    for (const warehouse of [east, west]) {
      for (const product of [mug, cup]) {
        await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 10 });
      }
    }
    const { orderId } = await reserveOrder(db, [
      { productId: mug.id, warehouseId: west.id, quantity: 4 },
      { productId: mug.id, warehouseId: east.id, quantity: 2 },
      { productId: cup.id, warehouseId: east.id, quantity: 1 },
      { productId: mug.id, warehouseId: east.id, quantity: 1 },
    ]);
    return { orderId, east: east.id, west: west.id, mug: mug.id, cup: cup.id };
  }

  async function deliveryOrdersOf(orderId: string) {
    const rows = await db
      .select({ id: deliveryOrders.id, warehouseId: deliveryOrders.warehouseId, status: deliveryOrders.status })
      .from(deliveryOrders)
      .where(eq(deliveryOrders.orderId, orderId));
    const items = await db
      .select()
      .from(deliveryOrderItems)
      .where(inArray(deliveryOrderItems.deliveryOrderId, rows.map((r) => r.id)));
    return rows.map((row) => ({
      ...row,
      items: items
        .filter((item) => item.deliveryOrderId === row.id)
        .map(({ productId, quantity }) => ({ productId, quantity }))
        .sort((a, b) => a.productId.localeCompare(b.productId)),
    }));
  }

  it('creates one delivery order per warehouse, with the quantities of each product summed', async function () {
    const order = await orderFromTwoWarehouses();

    const ids = await delivery.createDeliveryOrders(order.orderId);

    const created = await deliveryOrdersOf(order.orderId);
    const byWarehouse = new Map(created.map((d) => [d.warehouseId, d]));
    assert.deepEqual(ids, [byWarehouse.get(order.east)?.id, byWarehouse.get(order.west)?.id]);
    assert.deepEqual(byWarehouse.get(order.east)?.status, 'reserved');
    assert.deepEqual(
      byWarehouse.get(order.east)?.items,
      [
        { productId: order.mug, quantity: 3 },
        { productId: order.cup, quantity: 1 },
      ].sort((a, b) => a.productId.localeCompare(b.productId)),
    );
    assert.deepEqual(byWarehouse.get(order.west)?.items, [{ productId: order.mug, quantity: 4 }]);
  });

  it('returns the same delivery orders and creates nothing more when run again, even concurrently', async function () {
    const order = await orderFromTwoWarehouses();
    const first = await delivery.createDeliveryOrders(order.orderId);
    const before = await deliveryOrdersOf(order.orderId);

    const repeats = await Promise.all([1, 2, 3].map(() => delivery.createDeliveryOrders(order.orderId)));

    for (const ids of repeats) assert.deepEqual(ids, first);
    assert.deepEqual(await deliveryOrdersOf(order.orderId), before);
  });

  it('creates each delivery order once when the first runs race', async function () {
    const order = await orderFromTwoWarehouses();

    const results = await Promise.all([1, 2, 3, 4].map(() => delivery.createDeliveryOrders(order.orderId)));

    assert.equal(new Set(results.map((ids) => ids.join())).size, 1);
    assert.equal((await deliveryOrdersOf(order.orderId)).length, 2);
  });

  it('refuses to create delivery orders for an order that does not exist', async function () {
    await expectRefusal(delivery.createDeliveryOrders('00000000-0000-4000-8000-000000000000'), 'ORDER_NOT_FOUND');
  });

  describe('cancelDeliveryOrders', function () {
    it('cancels the order\'s reserved delivery orders once, however often it runs', async function () {
      const order = await orderFromTwoWarehouses();
      await delivery.createDeliveryOrders(order.orderId);

      await Promise.all([delivery.cancelDeliveryOrders(order.orderId), delivery.cancelDeliveryOrders(order.orderId)]);
      const cancelled = await deliveryOrdersOf(order.orderId);
      await delivery.cancelDeliveryOrders(order.orderId);

      assert.deepEqual(cancelled.map((d) => d.status), ['cancelled', 'cancelled']);
      assert.deepEqual(await deliveryOrdersOf(order.orderId), cancelled);
    });

    it('leaves a shipped delivery order alone, and a cancelled one cannot be shipped', async function () {
      const order = await orderFromTwoWarehouses();
      const [first, second] = await delivery.createDeliveryOrders(order.orderId);
      await delivery.markDeliveryOrder(first!, 'shipped');

      await delivery.cancelDeliveryOrders(order.orderId);

      const byId = new Map((await deliveryOrdersOf(order.orderId)).map((d) => [d.id, d.status]));
      assert.equal(byId.get(first!), 'shipped');
      assert.equal(byId.get(second!), 'cancelled');
      await expectRefusal(delivery.markDeliveryOrder(second!, 'shipped'), 'DELIVERY_ORDER_NOT_SHIPPABLE');
    });
  });

  describe('markDeliveryOrder', function () {
    async function oneDeliveryOrder(): Promise<string> {
      const order = await orderFromTwoWarehouses();
      const [id] = await delivery.createDeliveryOrders(order.orderId);
      return id!;
    }

    async function statusOf(id: string) {
      const [row] = await db
        .select({ status: deliveryOrders.status, updatedAt: deliveryOrders.updatedAt })
        .from(deliveryOrders)
        .where(eq(deliveryOrders.id, id));
      return row;
    }

    it('moves a delivery order from reserved to shipped to delivered', async function () {
      const id = await oneDeliveryOrder();

      await delivery.markDeliveryOrder(id, 'shipped');
      assert.equal((await statusOf(id))?.status, 'shipped');
      await delivery.markDeliveryOrder(id, 'delivered');
      assert.equal((await statusOf(id))?.status, 'delivered');
    });

    it('treats marking the same status again as done, changing nothing', async function () {
      const id = await oneDeliveryOrder();
      await delivery.markDeliveryOrder(id, 'shipped');
      const shipped = await statusOf(id);

      await delivery.markDeliveryOrder(id, 'shipped');

      assert.deepEqual(await statusOf(id), shipped);
    });

    it('refuses to deliver what was not shipped', async function () {
      const id = await oneDeliveryOrder();

      const failure = await expectRefusal(delivery.markDeliveryOrder(id, 'delivered'), 'DELIVERY_ORDER_NOT_DELIVERABLE');

      assert.deepEqual(failure.details?.[0], { status: 'reserved' });
      assert.equal((await statusOf(id))?.status, 'reserved');
    });

    it('refuses to ship what was already delivered', async function () {
      const id = await oneDeliveryOrder();
      await delivery.markDeliveryOrder(id, 'shipped');
      await delivery.markDeliveryOrder(id, 'delivered');

      await expectRefusal(delivery.markDeliveryOrder(id, 'shipped'), 'DELIVERY_ORDER_NOT_SHIPPABLE');
      assert.equal((await statusOf(id))?.status, 'delivered');
    });

    it('refuses a delivery order that does not exist', async function () {
      await expectRefusal(
        delivery.markDeliveryOrder('00000000-0000-4000-8000-000000000000', 'shipped'),
        'DELIVERY_ORDER_NOT_FOUND',
      );
    });
  });
});
