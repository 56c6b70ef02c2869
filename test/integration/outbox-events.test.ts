import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { count, eq, sql } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { withCorrelationId } from '../../activities/correlation';
import { createDeliveryActivities } from '../../activities/delivery';
import { createInventoryActivities } from '../../activities/inventory';
import { createOrderActivities } from '../../activities/orders';
import { createPaymentActivities, type Payment, type PaymentActivities } from '../../activities/payments';
import { createReturnActivities } from '../../activities/returns';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { openDatabase, type Database, type Db } from '../../db/client';
import { adjustOnHand, setOnHand } from '../../db/inventory-levels';
import { appendEvents, outboxStats } from '../../db/outbox';
import { eventOutbox } from '../../db/schema';
import { levelSubject } from '../../domain/events';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { eventsOf, levelEventsOf, typesOf } from '../support/outbox';
import { expectRefusal } from '../support/refusal';
import { reservationFor, reserveOrder } from '../support/reserved-order';

describe('events written with the changes (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url, { max: 20 });
    db = database.db;
  });

  after(async function () {
    await database?.close();
  });

  async function eventCount(): Promise<number> {
    const [row] = await db.select({ n: count() }).from(eventOutbox);
    return row!.n;
  }

  it('announces a reservation (order.created, inventory.reserved) with the request id that made it', async () => {
    const line = await seedStockedProduct(db, { onHand: 10, price: 500 });
    const inventory = createInventoryActivities(db);
    const input = reservationFor(await inventory.checkAvailability([{ ...line, quantity: 3 }]));

    await withCorrelationId('req-reserve-1', () => inventory.reserveStock(input));

    const [created] = await eventsOf(db, input.orderId);
    assert.equal(created?.type, 'order.created');
    assert.equal(created.sequence, 1);
    assert.equal(created.correlationId, 'req-reserve-1');
    assert.equal(created.status, 'pending');
    assert.deepEqual(created.data, {
      orderId: input.orderId,
      customerId: 'alice',
      status: 'awaiting_payment',
      items: [{ ...line, quantity: 3, unitPrice: 500, lineTotal: 1500 }],
      subtotal: 1500,
      discount: 0,
      total: 1500,
      currency: 'USD',
      voucherCode: null,
      shippingAddress: '1 Main St',
      reservationExpiresAt: input.expiresAt,
    });
    const stock = await levelEventsOf(db, line);
    // The level's first event is the admin's stock set that created it.
    assert.deepEqual(stock.map((e) => [e.type, e.sequence]), [['inventory.adjusted', 1], ['inventory.reserved', 2]]);
    assert.deepEqual(stock[1]!.data, {
      ...line,
      onHand: 10,
      reserved: 3,
      available: 7,
      lowStockThreshold: 0,
      reason: 'reservation',
      deltaOnHand: 0,
      deltaReserved: 3,
      orderId: input.orderId,
      note: null,
    });
  });

  it('writes nothing for a reservation that is refused and rolled back, and leaves no gap in the sequence', async () => {
    const line = await seedStockedProduct(db, { onHand: 2 });
    const inventory = createInventoryActivities(db);
    const before = await eventCount();
    const quote = await inventory.checkAvailability([{ ...line, quantity: 2 }]);
    // Another order takes one unit between the check and the reservation: this one is refused.
    await reserveOrder(db, [{ ...line, quantity: 1 }]);
    const afterFirst = await eventCount();
    const refused = reservationFor(quote);
    await expectRefusal(inventory.reserveStock(refused), 'INSUFFICIENT_INVENTORY');

    assert.equal(await eventCount(), afterFirst, 'the refused reservation wrote no event');
    assert.deepEqual(await eventsOf(db, refused.orderId), []);
    assert.equal(afterFirst - before, 2, 'the first reservation wrote order.created and inventory.reserved');

    await reserveOrder(db, [{ ...line, quantity: 1 }]);
    const sequences = (await levelEventsOf(db, line)).map((e) => e.sequence);
    assert.deepEqual(sequences, [1, 2, 3, 4], 'no number was lost to the rollback');
  });

  it('writes each event once when activities run again with the same input', async () => {
    const line = await seedStockedProduct(db, { onHand: 10 });
    const inventory = createInventoryActivities(db);
    const orders = createOrderActivities(db);
    const delivery = createDeliveryActivities(db);
    const input = reservationFor(await inventory.checkAvailability([{ ...line, quantity: 2 }]));

    for (let i = 0; i < 2; i++) await inventory.reserveStock(input);
    for (let i = 0; i < 2; i++) await inventory.commitStock(input.orderId);
    for (let i = 0; i < 2; i++) await delivery.createDeliveryOrders(input.orderId);
    for (let i = 0; i < 2; i++) await orders.setOrderStatus(input.orderId, 'confirmed');
    const [deliveryOrderId] = await delivery.createDeliveryOrders(input.orderId);
    for (let i = 0; i < 2; i++) await delivery.markDeliveryOrder(deliveryOrderId!, 'shipped');
    for (let i = 0; i < 2; i++) await orders.setOrderStatus(input.orderId, 'shipped');

    assert.deepEqual(await typesOf(db, input.orderId), [
      'order.created',
      'delivery_order.created',
      'order.confirmed',
      'delivery_order.shipped',
      'order.shipped',
    ]);
    assert.deepEqual((await eventsOf(db, input.orderId)).map((e) => e.sequence), [1, 2, 3, 4, 5]);
    assert.deepEqual(await typesOf(db, levelSubject(line.productId, line.warehouseId)), [
      'inventory.adjusted',
      'inventory.reserved',
      'inventory.committed',
    ]);
  });

  it('announces a release, an expiry, a cancelled paid order and its cancelled delivery orders', async () => {
    const line = await seedStockedProduct(db, { onHand: 10 });
    const inventory = createInventoryActivities(db);
    const orders = createOrderActivities(db);
    const delivery = createDeliveryActivities(db);

    const cancelled = await reserveOrder(db, [{ ...line, quantity: 1 }]);
    await inventory.releaseStock(cancelled.orderId, 'cancelled');
    await inventory.releaseStock(cancelled.orderId, 'cancelled');
    await orders.setOrderStatus(cancelled.orderId, 'cancelled', 'changed my mind');

    const expired = await reserveOrder(db, [{ ...line, quantity: 1 }]);
    await inventory.releaseStock(expired.orderId, 'expired');
    await orders.setOrderStatus(expired.orderId, 'expired');

    const paid = await reserveOrder(db, [{ ...line, quantity: 1 }]);
    await inventory.commitStock(paid.orderId);
    await delivery.createDeliveryOrders(paid.orderId);
    await orders.setOrderStatus(paid.orderId, 'confirmed');
    await inventory.restockStock(paid.orderId);
    await delivery.cancelDeliveryOrders(paid.orderId);
    await delivery.cancelDeliveryOrders(paid.orderId);
    await orders.setOrderStatus(paid.orderId, 'cancelled', 'paid, then cancelled');

    const [, cancelledEvent] = await eventsOf(db, cancelled.orderId);
    assert.equal(cancelledEvent?.type, 'order.cancelled');
    assert.deepEqual(cancelledEvent.data, {
      orderId: cancelled.orderId,
      customerId: 'alice',
      status: 'cancelled',
      previousStatus: 'awaiting_payment',
      total: 1999,
      currency: 'USD',
      cancelReason: 'changed my mind',
    });
    assert.deepEqual(await typesOf(db, expired.orderId), ['order.created', 'order.expired']);
    assert.deepEqual(await typesOf(db, paid.orderId), [
      'order.created',
      'delivery_order.created',
      'order.confirmed',
      'delivery_order.cancelled',
      'order.cancelled',
    ]);
    const stock = (await levelEventsOf(db, line)).map((e) => [e.type, (e.data as { reason: string }).reason]);
    assert.deepEqual(stock, [
      ['inventory.adjusted', 'stock_set'],
      ['inventory.reserved', 'reservation'],
      ['inventory.released', 'release'],
      ['inventory.reserved', 'reservation'],
      ['inventory.released', 'expiry'],
      ['inventory.reserved', 'reservation'],
      ['inventory.committed', 'commit'],
      ['inventory.restocked', 'restock'],
    ]);
  });

  it('announces low stock and out of stock once, when available falls across the line', async () => {
    const line = await seedStockedProduct(db, { onHand: 10 });
    await setOnHand(db, { ...line, onHand: 10, lowStockThreshold: 3 });
    const inventory = createInventoryActivities(db);

    const first = await reserveOrder(db, [{ ...line, quantity: 7 }]); // 10 → 3: low
    await reserveOrder(db, [{ ...line, quantity: 1 }]); // 3 → 2: still low, nothing new
    await inventory.releaseStock(first.orderId, 'cancelled'); // 2 → 9: back up, nothing
    await adjustOnHand(db, { ...line, delta: -9, reason: 'flooded', correlationId: 'req-flood' }); // 9 → 0: both

    const stock = await levelEventsOf(db, line);
    assert.deepEqual(
      stock.map((e) => e.type),
      [
        'inventory.adjusted',
        'inventory.reserved',
        'inventory.low_stock',
        'inventory.reserved',
        'inventory.released',
        'inventory.adjusted',
        'inventory.low_stock',
        'inventory.out_of_stock',
      ],
    );
    const flooded = stock.slice(-3);
    assert.ok(flooded.every((e) => e.correlationId === 'req-flood'), 'the adjustment carries its request id');
    assert.deepEqual(flooded[2]!.data, { ...line, onHand: 1, reserved: 1, available: 0, lowStockThreshold: 3 });
    assert.deepEqual((flooded[0]!.data as { note: string }).note, 'flooded');
  });

  it('announces each return, and writes nothing for a repeated one', async () => {
    const line = await seedStockedProduct(db, { onHand: 5, price: 1000 });
    const inventory = createInventoryActivities(db);
    const orders = createOrderActivities(db);
    const returns = createReturnActivities(db);
    const order = await reserveOrder(db, [{ ...line, quantity: 2 }]);
    await inventory.commitStock(order.orderId);
    for (const status of ['confirmed', 'delivered'] as const) await orders.setOrderStatus(order.orderId, status);

    const returnId = randomUUID();
    const input = { orderId: order.orderId, returnId, items: [{ ...line, quantity: 1 }], reason: 'too big' };
    await returns.recordReturn(input);
    await returns.recordReturn(input);

    const returned = (await eventsOf(db, order.orderId)).filter((e) => e.type === 'order.returned');
    assert.equal(returned.length, 1);
    assert.deepEqual(returned[0]!.data, {
      orderId: order.orderId,
      customerId: 'alice',
      returnId,
      items: [{ ...line, quantity: 1 }],
      refundAmount: 0, // nothing was charged in this test
      currency: 'USD',
      everythingReturned: false,
    });
    const restocked = (await levelEventsOf(db, line)).filter((e) => e.type === 'inventory.restocked');
    assert.deepEqual(restocked.map((e) => (e.data as { reason: string }).reason), ['return']);
  });

  it('announces a charge that went through and each refund once, and a voided lost charge not at all', async () => {
    const line = await seedStockedProduct(db, { onHand: 10, price: 800 });
    const inventory = createInventoryActivities(db);
    const payments = createPaymentActivities(db, createSandboxPaymentProvider(db));
    const paid = reservationFor(await inventory.checkAvailability([{ ...line, quantity: 2 }]));
    await inventory.reserveStock(paid);
    const charge = { orderId: paid.orderId, amount: 1600, currency: 'USD', paymentToken: 'tok_visa', idempotencyKey: `${paid.orderId}:payment:1` };

    // Charges run inside an activity (their deadline comes from its context).
    const inActivity = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run<[typeof charge], Payment, PaymentActivities['chargePayment']>(payments.chargePayment, charge);
    const { paymentId } = await inActivity();
    await inActivity();
    await payments.refundPartial({ orderId: paid.orderId, amount: 500, idempotencyKey: 'return:r1' });
    await payments.refundPartial({ orderId: paid.orderId, amount: 500, idempotencyKey: 'return:r1' });
    await payments.settlePayments(paid.orderId);
    await payments.settlePayments(paid.orderId);

    const money = (await eventsOf(db, paid.orderId)).filter((e) => e.type.startsWith('payment.'));
    assert.deepEqual(
      money.map((e) => [e.type, (e.data as { amount: number }).amount]),
      [['payment.succeeded', 1600], ['payment.refunded', 500], ['payment.refunded', 1100]],
    );
    assert.deepEqual(money[0]!.data, { orderId: paid.orderId, paymentId, amount: 1600, currency: 'USD' });

    const lost = reservationFor(await inventory.checkAvailability([{ ...line, quantity: 1 }]));
    await inventory.reserveStock(lost);
    await payments.settlePayments(lost.orderId); // nothing charged yet: no payment, nothing to say
    assert.deepEqual((await typesOf(db, lost.orderId)).filter((type) => type.startsWith('payment.')), []);
  });

  it('announces a rejected order once, and counts what waits in the outbox', async () => {
    const orders = createOrderActivities(db);
    const orderId = randomUUID();
    const input = {
      orderId,
      customerId: 'bob',
      items: [],
      shippingAddress: '2 Side St',
      voucherCode: null,
      requestHash: 'h',
      failure: { code: 'INSUFFICIENT_INVENTORY', message: 'not enough' },
    };
    await orders.rejectOrder(input);
    await orders.rejectOrder(input);
    assert.deepEqual(await eventsOf(db, orderId).then((events) => events.map((e) => [e.type, e.data])), [
      ['order.rejected', { orderId, customerId: 'bob', status: 'rejected', code: 'INSUFFICIENT_INVENTORY', message: 'not enough' }],
    ]);

    const stats = await outboxStats(db);
    assert.equal(stats.pending, await eventCount(), 'nothing was published here');
    assert.equal(stats.failed, 0);
    assert.ok(stats.oldestPendingAgeSeconds >= 0);
    await db.update(eventOutbox).set({ status: 'failed' }).where(eq(eventOutbox.subject, orderId));
    assert.equal((await outboxStats(db)).failed, 1);
  });

  it('numbers several events of one statement in their given order, per subject, after what the subject had', async () => {
    const [first, second] = [`test.${randomUUID()}`, `test.${randomUUID()}`];
    const event = (subject: string, step: number) => ({
      type: 'order.rejected' as const,
      subject,
      correlationId: null,
      data: { orderId: subject, customerId: 'bob', status: 'rejected' as const, code: 'INSUFFICIENT_INVENTORY', message: String(step) },
    });
    await db.transaction((tx) => appendEvents(tx, [event(first, 1)]));

    await db.transaction((tx) => appendEvents(tx, [event(first, 2), event(second, 3), event(first, 4), event(second, 5)]));

    const numbered = async (subject: string) => (await eventsOf(db, subject)).map((e) => [Number((e.data as { message: string }).message), e.sequence]);
    assert.deepEqual(await numbered(first), [[1, 1], [2, 2], [4, 3]]);
    assert.deepEqual(await numbered(second), [[3, 1], [5, 2]]);
    const rows = await db.select({ step: sql<number>`(${eventOutbox.data}->>'message')::int` }).from(eventOutbox)
      .where(sql`${eventOutbox.subject} IN (${first}, ${second})`).orderBy(eventOutbox.position);
    assert.deepEqual(rows.map((row) => row.step), [1, 2, 3, 4, 5], 'the outbox keeps the given order');
  });
});
