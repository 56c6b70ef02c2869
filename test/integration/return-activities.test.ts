import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { createDeliveryActivities } from '../../activities/delivery';
import { createInventoryActivities } from '../../activities/inventory';
import { createOrderActivities } from '../../activities/orders';
import { createPaymentActivities, type ChargePaymentInput, type PaymentActivities } from '../../activities/payments';
import { createReturnActivities, type RecordReturnInput, type ReturnActivities } from '../../activities/returns';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { findInventoryDiscrepancies } from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { inventoryMovements, orderReturns, returnItems } from '../../db/schema';
import type { OrderLineRequest } from '../../domain/order';
import { applyDiscount } from '../../domain/voucher';
import { seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf } from '../support/inventory-level';
import { expectRefusal } from '../support/refusal';
import { reservationFor } from '../support/reserved-order';

describe('return activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let returns: ReturnActivities;
  let payments: PaymentActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url, { max: 10 });
    db = database.db;
    returns = createReturnActivities(db);
    payments = createPaymentActivities(db, createSandboxPaymentProvider(db));
  });

  after(async function () {
    await database?.close();
  });

  /**
   * An order taken through the real activities as far as `until`: reserved, paid, stock
   * deducted, shipped and delivered. Two products in one warehouse: 3 mugs at 1000, 2 cups at 500.
   */
  async function orderUpTo(until: 'confirmed' | 'delivered', { discount = 0 } = {}) {
    const warehouse = await seedWarehouse(db);
    const mug = await seedProduct(db, { price: 1000 });
    const cup = await seedProduct(db, { price: 500 });
    for (const product of [mug, cup]) await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 10 });
    const lines: OrderLineRequest[] = [
      { productId: mug.id, warehouseId: warehouse.id, quantity: 3 },
      { productId: cup.id, warehouseId: warehouse.id, quantity: 2 },
    ];

    const inventory = createInventoryActivities(db);
    const input = reservationFor(applyDiscount(await inventory.checkAvailability(lines), discount));
    await inventory.reserveStock(input);
    const charge: ChargePaymentInput = {
      orderId: input.orderId,
      amount: input.quote.total,
      currency: input.quote.currency,
      paymentToken: null,
      idempotencyKey: `${input.orderId}:payment:1`,
    };
    await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(payments.chargePayment, charge);
    await inventory.commitStock(input.orderId);
    const delivery = createDeliveryActivities(db);
    const orders = createOrderActivities(db);
    await orders.setOrderStatus(input.orderId, 'confirmed');
    if (until === 'delivered') {
      for (const id of await delivery.createDeliveryOrders(input.orderId)) {
        await delivery.markDeliveryOrder(id, 'shipped');
        await delivery.markDeliveryOrder(id, 'delivered');
      }
      await orders.setOrderStatus(input.orderId, 'delivered');
    }
    return {
      orderId: input.orderId,
      paid: input.quote.total,
      mug: { productId: mug.id, warehouseId: warehouse.id },
      cup: { productId: cup.id, warehouseId: warehouse.id },
    };
  }

  function returnOf(orderId: string, items: RecordReturnInput['items'], fields: Partial<RecordReturnInput> = {}): RecordReturnInput {
    return { orderId, returnId: randomUUID(), items, reason: 'changed my mind', ...fields };
  }

  function onHandOf(pair: { productId: string; warehouseId: string }) {
    return levelOf(db, pair);
  }

  async function returnsOf(orderId: string) {
    const rows = await db.select().from(orderReturns).where(eq(orderReturns.orderId, orderId));
    return Promise.all(
      rows.map(async (row) => ({
        id: row.id,
        refundAmount: row.refundAmount,
        reason: row.reason,
        items: await db
          .select({ productId: returnItems.productId, quantity: returnItems.quantity })
          .from(returnItems)
          .where(eq(returnItems.returnId, row.id)),
      })),
    );
  }

  it('puts returned lines back on hand and refunds their value', async function () {
    const order = await orderUpTo('delivered');
    const input = returnOf(order.orderId, [{ ...order.mug, quantity: 2 }]);

    const recorded = await returns.recordReturn(input);

    assert.deepEqual(recorded, {
      returnId: input.returnId,
      refundAmount: 2000,
      everythingReturned: false,
      items: [{ ...order.mug, quantity: 2 }],
    });
    assert.deepEqual(await onHandOf(order.mug), { onHand: 9, reserved: 0 });
    assert.deepEqual(await onHandOf(order.cup), { onHand: 8, reserved: 0 });
    assert.deepEqual(await returnsOf(order.orderId), [
      { id: input.returnId, refundAmount: 2000, reason: 'changed my mind', items: [{ productId: order.mug.productId, quantity: 2 }] },
    ]);
    const ledger = await db
      .select({ deltaOnHand: inventoryMovements.deltaOnHand, deltaReserved: inventoryMovements.deltaReserved })
      .from(inventoryMovements)
      .where(and(eq(inventoryMovements.orderId, order.orderId), eq(inventoryMovements.reason, 'return')));
    assert.deepEqual(ledger, [{ deltaOnHand: 2, deltaReserved: 0 }]);
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('takes everything not yet returned when no items are named, and then says everything is back', async function () {
    const order = await orderUpTo('delivered');
    await returns.recordReturn(returnOf(order.orderId, [{ ...order.mug, quantity: 1 }]));

    const rest = await returns.recordReturn(returnOf(order.orderId, null));

    assert.equal(rest.everythingReturned, true);
    assert.equal(rest.refundAmount, 2 * 1000 + 2 * 500);
    assert.deepEqual(await onHandOf(order.mug), { onHand: 10, reserved: 0 });
    assert.deepEqual(await onHandOf(order.cup), { onHand: 10, reserved: 0 });
    const failure = await expectRefusal(returns.recordReturn(returnOf(order.orderId, null)), 'RETURN_NOT_ALLOWED');
    assert.deepEqual(failure.details?.[0], { items: [] });
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('refuses more than was delivered and not yet returned, naming each line, and changes nothing', async function () {
    const order = await orderUpTo('delivered');
    await returns.recordReturn(returnOf(order.orderId, [{ ...order.mug, quantity: 2 }]));
    const stranger = { productId: order.cup.productId, warehouseId: 'wh-elsewhere' };

    const failure = await expectRefusal(
      returns.recordReturn(
        returnOf(order.orderId, [
          { ...order.mug, quantity: 2 },
          { ...order.cup, quantity: 1 },
          { ...stranger, quantity: 1 },
        ]),
      ),
      'RETURN_NOT_ALLOWED',
    );

    const items = (failure.details?.[0] as { items: unknown[] }).items;
    assert.deepEqual(
      new Set(items.map((i) => JSON.stringify(i))),
      new Set([
        JSON.stringify({ ...order.mug, requested: 2, returnable: 1 }),
        JSON.stringify({ ...stranger, requested: 1, returnable: 0 }),
      ]),
    );
    assert.deepEqual(await onHandOf(order.mug), { onHand: 9, reserved: 0 });
    assert.deepEqual(await onHandOf(order.cup), { onHand: 8, reserved: 0 });
    assert.equal((await returnsOf(order.orderId)).length, 1);
  });

  it('answers a repeated return with the stored result and restocks once, even when repeats race', async function () {
    const order = await orderUpTo('delivered');
    const input = returnOf(order.orderId, [{ ...order.cup, quantity: 2 }]);

    const results = await Promise.all([1, 2, 3, 4].map(() => returns.recordReturn(input)));
    const later = await returns.recordReturn(input);

    for (const result of [...results, later]) {
      // A repeat reports the items the return took, as the first answer did.
      assert.deepEqual(result, {
        returnId: input.returnId,
        refundAmount: 1000,
        everythingReturned: false,
        items: [{ ...order.cup, quantity: 2 }],
      });
    }
    assert.deepEqual(await onHandOf(order.cup), { onHand: 10, reserved: 0 });
    assert.equal((await returnsOf(order.orderId)).length, 1);
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('takes the discount off pro rata, and never refunds more than was paid', async function () {
    const order = await orderUpTo('delivered', { discount: 999 }); // subtotal 4000, paid 3001

    const first = await returns.recordReturn(returnOf(order.orderId, [{ ...order.mug, quantity: 1 }]));
    await payments.refundPartial({ orderId: order.orderId, amount: first.refundAmount, idempotencyKey: `return:${first.returnId}` });
    const second = await returns.recordReturn(returnOf(order.orderId, [{ ...order.cup, quantity: 1 }]));
    await payments.refundPartial({ orderId: order.orderId, amount: second.refundAmount, idempotencyKey: `return:${second.returnId}` });
    const rest = await returns.recordReturn(returnOf(order.orderId, null));

    assert.equal(first.refundAmount, 1000 - 249); // floor(999 * 1000 / 4000)
    assert.equal(second.refundAmount, 500 - 124); // floor(999 * 500 / 4000)
    // Pro rata alone would give 2500 - 624 = 1876: the rounding would hand back 2 more than was paid.
    assert.equal(rest.refundAmount, 3001 - 751 - 376);
    assert.equal(rest.everythingReturned, true);
  });

  it('refuses a return for an order that was not delivered', async function () {
    const order = await orderUpTo('confirmed');

    const failure = await expectRefusal(returns.recordReturn(returnOf(order.orderId, null)), 'RETURN_NOT_ALLOWED');

    assert.deepEqual(failure.details?.[0], { status: 'confirmed' });
    assert.deepEqual(await onHandOf(order.mug), { onHand: 7, reserved: 0 });
  });
});
