import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { createOrderActivities, type OrderActivities, type RejectOrderInput } from '../../activities/orders';
import { openDatabase, type Database, type Db } from '../../db/client';
import { orderItems, orders } from '../../db/schema';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { expectNonRetryable, expectRefusal } from '../support/refusal';
import { reserveOrder } from '../support/reserved-order';

describe('order activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let activities: OrderActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
    activities = createOrderActivities(db);
  });

  after(async function () {
    await database?.close();
  });

  async function orderRow(orderId: string) {
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    return order;
  }

  function rejection(fields: Partial<RejectOrderInput> = {}): RejectOrderInput {
    return {
      orderId: randomUUID(),
      customerId: 'alice',
      items: [{ productId: 'no-such-sku', warehouseId: 'wh-1', quantity: 2 }],
      shippingAddress: '1 Main St',
      voucherCode: 'SAVE10',
      requestHash: 'hash-1',
      failure: { code: 'UNKNOWN_PRODUCT', message: 'unknown product', details: { productIds: ['no-such-sku'] } },
      ...fields,
    };
  }

  describe('rejectOrder', function () {
    it('records the refusal so a repeated request can be answered with it', async function () {
      const input = rejection();

      await activities.rejectOrder(input);

      const order = await orderRow(input.orderId);
      assert.deepEqual(
        {
          status: order?.status,
          customerId: order?.customerId,
          total: order?.total,
          currency: order?.currency,
          requestHash: order?.requestHash,
          voucherCode: order?.voucherCode,
          rejection: order?.rejection,
        },
        {
          status: 'rejected',
          customerId: 'alice',
          total: 0,
          currency: 'USD',
          requestHash: 'hash-1',
          voucherCode: 'SAVE10',
          rejection: input.failure,
        },
      );
      assert.deepEqual(await db.select().from(orderItems).where(eq(orderItems.orderId, input.orderId)), []);
    });

    it('changes nothing when run again', async function () {
      const input = rejection();
      await activities.rejectOrder(input);
      const first = await orderRow(input.orderId);

      await activities.rejectOrder(input);

      assert.deepEqual(await orderRow(input.orderId), first);
    });

    it('leaves an order that was placed alone', async function () {
      const { orderId } = await reserveOrder(db, [{ ...(await seedStockedProduct(db, { onHand: 5 })), quantity: 1 }]);

      await activities.rejectOrder(rejection({ orderId }));

      const order = await orderRow(orderId);
      assert.equal(order?.status, 'awaiting_payment');
      assert.equal(order?.rejection, null);
    });
  });

  describe('setOrderStatus', function () {
    async function placedOrder(): Promise<string> {
      const pair = await seedStockedProduct(db, { onHand: 5 });
      return (await reserveOrder(db, [{ ...pair, quantity: 1 }])).orderId;
    }

    it('sets the status and, when given, the cancel reason', async function () {
      const orderId = await placedOrder();

      await activities.setOrderStatus(orderId, 'cancelled', 'changed my mind');

      const order = await orderRow(orderId);
      assert.equal(order?.status, 'cancelled');
      assert.equal(order?.cancelReason, 'changed my mind');
    });

    it('keeps the cancel reason when a later status comes without one', async function () {
      const orderId = await placedOrder();
      await activities.setOrderStatus(orderId, 'cancelled', 'changed my mind');

      await activities.setOrderStatus(orderId, 'cancelled');

      assert.equal((await orderRow(orderId))?.cancelReason, 'changed my mind');
    });

    it('records when the order was first delivered, and keeps it when it is later returned', async function () {
      const orderId = await placedOrder();
      await activities.setOrderStatus(orderId, 'confirmed');
      assert.equal((await orderRow(orderId))?.deliveredAt, null);

      await activities.setOrderStatus(orderId, 'delivered');
      const deliveredAt = (await orderRow(orderId))?.deliveredAt;
      await activities.setOrderStatus(orderId, 'returned');

      assert.ok(deliveredAt instanceof Date);
      assert.deepEqual((await orderRow(orderId))?.deliveredAt, deliveredAt);
    });

    it('changes nothing, not even updatedAt, when repeated', async function () {
      const orderId = await placedOrder();
      await activities.setOrderStatus(orderId, 'confirmed');
      const first = await orderRow(orderId);

      await activities.setOrderStatus(orderId, 'confirmed');

      assert.deepEqual(await orderRow(orderId), first);
    });

    it('refuses an order that does not exist', async function () {
      await expectRefusal(activities.setOrderStatus(randomUUID(), 'confirmed'), 'ORDER_NOT_FOUND');
    });

    it('refuses to turn a delivered order into an expired one, changing nothing', async function () {
      const orderId = await placedOrder();
      await activities.setOrderStatus(orderId, 'confirmed');
      await activities.setOrderStatus(orderId, 'delivered');
      const delivered = await orderRow(orderId);

      const failure = await expectNonRetryable(activities.setOrderStatus(orderId, 'expired'), 'OrderStatusConflict');

      assert.deepEqual(failure.details?.[0], { orderId, from: 'delivered', to: 'expired' });
      assert.deepEqual(await orderRow(orderId), delivered);
    });

    it('refuses every move backwards or out of a final status, even with a cancel reason', async function () {
      const orderId = await placedOrder();
      await activities.setOrderStatus(orderId, 'cancelled', 'changed my mind');
      const cancelled = await orderRow(orderId);

      for (const status of ['awaiting_payment', 'confirmed', 'expired', 'delivered'] as const) {
        await expectNonRetryable(activities.setOrderStatus(orderId, status, 'a stale saga'), 'OrderStatusConflict');
      }

      assert.deepEqual(await orderRow(orderId), cancelled);
    });

    it('moves an order only along its lifecycle when racing writes disagree', async function () {
      const orderId = await placedOrder();

      const outcomes = await Promise.allSettled([
        activities.setOrderStatus(orderId, 'expired'),
        activities.setOrderStatus(orderId, 'confirmed'),
        activities.setOrderStatus(orderId, 'cancelled', 'changed my mind'),
      ]);

      // Whichever went first wins; of the other two, only confirmed → cancelled is a move forward.
      const status = (await orderRow(orderId))?.status;
      const won = outcomes.filter((o) => o.status === 'fulfilled').length;
      assert.ok(
        (status === 'expired' && won === 1) || (status === 'cancelled' && won >= 1 && won <= 2),
        `${status} after ${won} accepted writes`,
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          assert.ok(outcome.reason instanceof ApplicationFailure);
          assert.equal(outcome.reason.type, 'OrderStatusConflict');
        }
      }
    });
  });
});
