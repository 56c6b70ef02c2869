import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createCustomerActivities } from '../../activities/customers';
import { createInventoryActivities, type ReserveStockInput } from '../../activities/inventory';
import { createOrderActivities } from '../../activities/orders';
import { createVoucherActivities } from '../../activities/vouchers';
import { openDatabase, type Database, type Db } from '../../db/client';
import { orders, stockReservations, vouchers } from '../../db/schema';
import type { OrderLineRequest } from '../../domain/order';
import { seedCustomer, seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf } from '../support/inventory-level';
import { levelEventsOf, typesOf } from '../support/outbox';
import { expectNonRetryable, expectRefusal } from '../support/refusal';
import { reservationFor } from '../support/reserved-order';

/**
 * The local placing steps run inside the saga's workflow task; when that task is lost (a worker
 * crash, a task timeout under load) the next attempt runs them again, in the same saga run.
 * Each step must then recognise this run's own earlier work, and only this run's.
 */
describe('placing steps repeated by a lost workflow task (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
    await seedCustomer(db, { id: 'alice' });
  });

  after(async function () {
    await database?.close();
  });

  /** Runs activities as steps of one saga run would. */
  function sagaRun(orderId: string, runId = randomUUID()) {
    const environment = new MockActivityEnvironment(
      { workflowExecution: { workflowId: `order-${orderId}`, runId } },
      { logger: new DefaultLogger('ERROR') },
    );
    const inRun = <T>(step: () => Promise<T>): Promise<T> => environment.run(step) as Promise<T>;
    const customers = createCustomerActivities(db);
    const inventory = createInventoryActivities(db);
    const orderActivities = createOrderActivities(db);
    const vouchers = createVoucherActivities(db);
    return {
      validateCustomer: () => inRun(() => customers.validateCustomer('alice', orderId)),
      checkAvailability: (items: OrderLineRequest[]) => inRun(() => inventory.checkAvailability(items, orderId)),
      reserveStock: (input: ReserveStockInput) => inRun(() => inventory.reserveStock(input)),
      releaseStock: () => inRun(() => inventory.releaseStock(orderId, 'compensation')),
      rejectOrder: (items: OrderLineRequest[]) => inRun(() => orderActivities.rejectOrder(rejection(orderId, items))),
      rejectPlacement: (items: OrderLineRequest[], voucherCode: string | null = null) =>
        inRun(() => orderActivities.rejectPlacement(rejection(orderId, items, voucherCode))),
      redeemVoucher: (code: string) =>
        inRun(() => vouchers.redeemVoucher({ orderId, code, subtotal: 5000, currency: 'USD', at: new Date().toISOString() })),
      cancelUnfinishedPlacement: (reason: string) => inRun(() => orderActivities.cancelUnfinishedPlacement(orderId, reason)),
    };
  }

  function rejection(orderId: string, items: OrderLineRequest[], voucherCode: string | null = null) {
    return {
      orderId,
      customerId: 'alice',
      items,
      shippingAddress: '1 Main St',
      voucherCode,
      requestHash: 'test-request-hash',
      failure: { code: 'CUSTOMER_NOT_ALLOWED', message: 'customer alice is blocked' },
    };
  }

  /** One run's first attempt: checked and reserved, all of a level's two units. */
  async function placedOnce() {
    const pair = await seedStockedProduct(db, { onHand: 2 });
    const items = [{ ...pair, quantity: 2 }];
    const orderId = randomUUID();
    const run = sagaRun(orderId);
    await run.validateCustomer();
    const reservation = reservationFor(await run.checkAvailability(items), { orderId });
    await run.reserveStock(reservation);
    return { pair, items, orderId, run, reservation };
  }

  async function orderRow(orderId: string) {
    const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
    return row;
  }

  it('lets the same run check, price and reserve again, answering the first reservation and holding nothing twice', async function () {
    const { pair, items, run, reservation } = await placedOnce();

    await run.validateCustomer();
    const repriced = await run.checkAvailability(items);
    const again = await run.reserveStock({ ...reservationFor(repriced, { orderId: reservation.orderId }) });

    assert.equal(again.expiresAt, reservation.expiresAt, 'the repeat answers the first expiry, not a new one');
    assert.deepEqual(await levelOf(db, pair), { onHand: 2, reserved: 2 });
  });

  it('still refuses another saga run over the same order, and counts the order’s holds for nobody else', async function () {
    const { items, orderId } = await placedOnce();

    await expectNonRetryable(sagaRun(orderId).validateCustomer(), 'OrderAlreadyPlaced');
    await expectRefusal(sagaRun(randomUUID()).checkAvailability(items), 'INSUFFICIENT_INVENTORY');
  });

  it('turns the run’s own reservation into the rejection once its stock went back', async function () {
    const { pair, items, orderId, run } = await placedOnce();

    await run.releaseStock();
    await run.rejectOrder(items);

    const row = await orderRow(orderId);
    assert.equal(row?.status, 'rejected');
    assert.deepEqual(row?.rejection, { code: 'CUSTOMER_NOT_ALLOWED', message: 'customer alice is blocked' });
    assert.deepEqual(await levelOf(db, pair), { onHand: 2, reserved: 0 });
    assert.deepEqual((await typesOf(db, orderId)).slice(-1), ['order.rejected']);
  });

  it('leaves another run’s reservation alone when rejecting', async function () {
    const { items, orderId } = await placedOnce();

    await sagaRun(orderId).rejectOrder(items);

    assert.equal((await orderRow(orderId))?.status, 'awaiting_payment');
  });

  it('settles a refusal in one step: the run’s own reservation and redemption go back with the rejection, once', async function () {
    const code = `SAVE-${randomUUID()}`;
    await db.insert(vouchers).values({ code, kind: 'percent', value: 10 });
    const { pair, items, orderId, run } = await placedOnce();
    await run.redeemVoucher(code);

    await run.rejectPlacement(items, code);
    // The workflow task that ran it is lost: the run repeats its placing steps and refuses again.
    await run.validateCustomer();
    await run.rejectPlacement(items, code);

    const row = await orderRow(orderId);
    assert.equal(row?.status, 'rejected');
    assert.deepEqual(await levelOf(db, pair), { onHand: 2, reserved: 0 });
    const [voucher] = await db.select().from(vouchers).where(eq(vouchers.code, code));
    assert.equal(voucher?.redemptions, 0);
    assert.deepEqual(await typesOf(db, orderId), ['order.created', 'order.rejected']);
    const released = (await levelEventsOf(db, pair)).filter((event) => event.type === 'inventory.released');
    assert.equal(released.length, 1, 'the level announced its release once');
  });

  it('gives back nothing of another run’s reservation when settling a refusal', async function () {
    const { pair, items, orderId } = await placedOnce();

    await sagaRun(orderId).rejectPlacement(items);

    assert.equal((await orderRow(orderId))?.status, 'awaiting_payment');
    assert.deepEqual(await levelOf(db, pair), { onHand: 2, reserved: 2 });
  });

  it('cancels the run’s own unfinished reservation after a failure, and nobody else’s', async function () {
    const { orderId, run } = await placedOnce();

    await sagaRun(orderId).cancelUnfinishedPlacement('failed: reserveStock');
    assert.equal((await orderRow(orderId))?.status, 'awaiting_payment', 'another run cancels nothing');

    await run.cancelUnfinishedPlacement('failed: reserveStock');
    await run.cancelUnfinishedPlacement('failed: reserveStock'); // a retry changes nothing more

    const row = await orderRow(orderId);
    assert.equal(row?.status, 'cancelled');
    assert.equal(row?.cancelReason, 'failed: reserveStock');
    assert.deepEqual((await typesOf(db, orderId)).filter((type) => type.startsWith('order.')), ['order.created', 'order.cancelled']);
  });

  it('does nothing when the failed placing never wrote a row', async function () {
    const orderId = randomUUID();

    await sagaRun(orderId).cancelUnfinishedPlacement('failed: checkAvailability');

    assert.equal(await orderRow(orderId), undefined);
  });

  it('pushes a reservation out on the order and its holds, never back in', async function () {
    const inventory = createInventoryActivities(db);
    const { orderId, reservation } = await placedOnce();
    const later = new Date(Date.parse(reservation.expiresAt) + 600_000).toISOString();
    const holdExpiries = async () =>
      (await db.select({ expiresAt: stockReservations.expiresAt }).from(stockReservations).where(eq(stockReservations.orderId, orderId))).map(
        (row) => row.expiresAt?.toISOString(),
      );

    await inventory.extendReservation(orderId, later);
    await inventory.extendReservation(orderId, reservation.expiresAt); // a late, older one

    assert.equal((await orderRow(orderId))?.reservationExpiresAt?.toISOString(), later);
    assert.deepEqual(await holdExpiries(), [later]);
  });
});
