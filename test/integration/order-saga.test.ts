import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { and, count, eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import type { ReserveStockInput } from '../../activities/inventory';
import type { ChargePaymentInput } from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { findInventoryDiscrepancies } from '../../db/audit';
import {
  deliveryOrders,
  inventoryLevels,
  inventoryMovements,
  orders,
  payments,
  stockReservations,
} from '../../db/schema';
import { workflowIdFor } from '../../domain/order';
import { seedCustomer, seedStockedProduct } from '../support/catalog';
import { call } from '../support/http';
import { countingProvider } from '../support/payment-provider';
import { KEYS, startStack, type Stack } from '../support/stack';

/** The inputs Temporal scheduled an activity with, read back from the saga's real history. */
async function scheduledInput<T>(stack: Stack, orderId: string, activityType: string): Promise<T> {
  const history = await stack.client.workflow.getHandle(workflowIdFor(orderId)).fetchHistory();
  const scheduled = (history.events ?? [])
    .map((event: temporal.api.history.v1.IHistoryEvent) => event.activityTaskScheduledEventAttributes)
    .find((attributes) => attributes?.activityType?.name === activityType);
  assert.ok(scheduled, `${activityType} was scheduled for order ${orderId}`);
  return defaultPayloadConverter.fromPayload<T>(scheduled.input!.payloads![0]!);
}

async function levelOf(stack: Stack, productId: string, warehouseId: string) {
  const [level] = await stack.database.db
    .select({ onHand: inventoryLevels.onHand, reserved: inventoryLevels.reserved })
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.productId, productId), eq(inventoryLevels.warehouseId, warehouseId)));
  return level;
}

/** Everything a repeated activity could wrongly touch, counted. */
async function bookkeeping(stack: Stack, productId: string, warehouseId: string) {
  const db = stack.database.db;
  const [movements] = await db.select({ n: count() }).from(inventoryMovements);
  const [reservations] = await db.select({ n: count() }).from(stockReservations);
  const [charges] = await db.select({ n: count() }).from(payments);
  const [orderRows] = await db.select({ n: count() }).from(orders);
  return {
    level: await levelOf(stack, productId, warehouseId),
    movements: movements!.n,
    reservations: reservations!.n,
    payments: charges!.n,
    orders: orderRows!.n,
  };
}

function placeOne(stack: Stack, customerId: string, line: { productId: string; warehouseId: string }) {
  return call(stack, 'POST', '/orders', {
    key: KEYS.admin,
    body: { customerId, items: [{ ...line, quantity: 1 }], shippingAddress: '1 Main St, Springfield' },
  });
}

const RACERS = Array.from({ length: 7 }, (_, i) => `racer-${i}`);

describe('order saga on the real stack (PostgreSQL + Temporal dev server)', function () {
  this.timeout(300_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    // Orders are placed only for known, active customers (the saga's validateCustomer step).
    for (const id of [...RACERS, 'repeat-customer']) await seedCustomer(stack.database.db, { id });
  });
  after(async () => {
    await stack?.stop();
  });

  it('never oversells when 200 orders race for 50 units, and paying 20 and cancelling 30 settles the books', async () => {
    const line = await seedStockedProduct(stack.database.db, { onHand: 50 });

    const placements = await Promise.all(
      Array.from({ length: 200 }, (_, i) => placeOne(stack, RACERS[i % RACERS.length]!, line)),
    );
    const placed = placements.filter((r) => r.status === 201);
    const refused = placements.filter((r) => r.status === 409);
    assert.equal(placed.length, 50, 'exactly 50 orders placed');
    assert.equal(refused.length, 150, 'exactly 150 refused');
    for (const r of placed) assert.equal(r.body.data.status, 'awaiting_payment');
    for (const r of refused) assert.equal(r.body.error.code, 'INSUFFICIENT_INVENTORY');
    assert.deepEqual(await levelOf(stack, line.productId, line.warehouseId), { onHand: 50, reserved: 50 });
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);

    const orderIds: string[] = placed.map((r) => r.body.data.id);
    const [toPay, toCancel] = [orderIds.slice(0, 20), orderIds.slice(20)];
    const [paid, cancelled] = await Promise.all([
      Promise.all(toPay.map((id) => call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.admin, body: { paymentToken: 'tok_visa' } }))),
      Promise.all(toCancel.map((id) => call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.admin, body: { reason: 'changed my mind' } }))),
    ]);
    for (const r of paid) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.data.status, 'confirmed');
      assert.equal(r.body.data.deliveryOrderIds.length, 1);
    }
    for (const r of cancelled) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.data.status, 'cancelled');
    }

    assert.deepEqual(await levelOf(stack, line.productId, line.warehouseId), { onHand: 30, reserved: 0 });
    const [deliveries] = await stack.database.db.select({ n: count() }).from(deliveryOrders);
    assert.equal(deliveries!.n, 20);
    const [succeeded] = await stack.database.db
      .select({ n: count() })
      .from(payments)
      .where(eq(payments.status, 'succeeded'));
    assert.equal(succeeded!.n, 20, 'one charge per paid order, none for the cancelled');
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });

  it('changes nothing when reserveStock or chargePayment runs again with the inputs the saga gave them', async () => {
    const line = await seedStockedProduct(stack.database.db, { onHand: 5 });
    const placedOrder = await placeOne(stack, 'repeat-customer', line);
    assert.equal(placedOrder.status, 201);
    const orderId: string = placedOrder.body.data.id;
    const paid = await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.admin, body: { paymentToken: 'tok_visa' } });
    assert.equal(paid.status, 200);

    const { provider, calls } = countingProvider(createSandboxPaymentProvider(stack.database.db));
    const activities = createActivities({ db: stack.database.db, paymentProvider: provider });
    const before = await bookkeeping(stack, line.productId, line.warehouseId);

    // reserveStock runs as a local activity, whose input the history does not keep: a repeated
    // workflow task asks again as the saga does, for the same order, with a later expiry.
    const [row] = await stack.database.db.select().from(orders).where(eq(orders.id, orderId));
    const reserveInput: ReserveStockInput = {
      orderId,
      customerId: row!.customerId,
      quote: await activities.checkAvailability([{ ...line, quantity: 1 }], orderId),
      shippingAddress: row!.shippingAddress,
      voucherCode: null,
      requestHash: row!.requestHash,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await activities.reserveStock(reserveInput);
    const chargeInput = await scheduledInput<ChargePaymentInput>(stack, orderId, 'chargePayment');
    const payment = await activities.chargePayment(chargeInput);

    assert.equal(payment.status, 'succeeded');
    assert.equal(calls.charge, 0, 'the provider is not asked to charge again');
    assert.deepEqual(await bookkeeping(stack, line.productId, line.warehouseId), before);
    assert.deepEqual(before.level, { onHand: 4, reserved: 0 });
  });
});
