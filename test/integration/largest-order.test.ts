import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { createActivities, type Activities } from '../../activities';
import type { ChargePaymentInput, Payment } from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { findInventoryDiscrepancies, findMoneyDiscrepancies } from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { orders, payments, refunds, sandboxCharges, vouchers } from '../../db/schema';
import type { OrderLineRequest } from '../../domain/order';
import { applyDiscount } from '../../domain/voucher';
import { seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf } from '../support/inventory-level';
import { reservationFor } from '../support/reserved-order';

/** The largest order the API accepts: 100 lines of 10,000 units at the largest price a product takes. */
const LARGEST_PRICE = 2_147_483_647;
const LINES = 100;
const LARGEST_QUANTITY = 10_000;
const LARGEST_TOTAL = 2_147_483_647_000_000; // past 2^31 a million times over, inside 2^53

describe('the largest order the schemas allow, over the real database', function () {
  let database: Database;
  let db: Db;
  let activities: Activities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
    activities = createActivities({ db, paymentProvider: createSandboxPaymentProvider(db) });
  });

  after(async function () {
    await database?.close();
  });

  /** Two million units of the priciest product: room for two of the largest orders. */
  async function priciestStock() {
    const product = await seedProduct(db, { price: LARGEST_PRICE });
    const warehouse = await seedWarehouse(db);
    await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 2 * LINES * LARGEST_QUANTITY });
    return { productId: product.id, warehouseId: warehouse.id };
  }

  /** Reserved and charged through the activities, as the saga runs them; `discount` from a voucher. */
  async function paidLargestOrder(pair: { productId: string; warehouseId: string }, voucherCode: string | null) {
    const lines: OrderLineRequest[] = Array.from({ length: LINES }, () => ({ ...pair, quantity: LARGEST_QUANTITY }));
    let quote = await activities.checkAvailability(lines);
    const orderId = randomUUID();
    if (voucherCode) {
      const { discount } = await activities.redeemVoucher({
        orderId,
        code: voucherCode,
        subtotal: quote.subtotal,
        currency: quote.currency,
        at: new Date().toISOString(),
      });
      quote = applyDiscount(quote, discount);
    }
    await activities.reserveStock(reservationFor(quote, { orderId, voucherCode }));
    const charge: ChargePaymentInput = {
      orderId,
      amount: quote.total,
      currency: quote.currency,
      paymentToken: 'tok_visa',
      idempotencyKey: `${orderId}:payment:1`,
    };
    await new MockActivityEnvironment({ startToCloseTimeoutMs: 5_000 }, { logger: new DefaultLogger('ERROR') }).run<
      [ChargePaymentInput],
      Payment,
      Activities['chargePayment']
    >(activities.chargePayment, charge);
    return { orderId, quote, idempotencyKey: charge.idempotencyKey };
  }

  async function givenBack(orderId: string): Promise<number> {
    const rows = await db.select({ amount: refunds.amount }).from(refunds).where(eq(refunds.orderId, orderId));
    return rows.reduce((sum, row) => sum + row.amount, 0);
  }

  it('places, pays, delivers and takes back, in two returns, a discounted order of 2.1e15 cents, to the cent', async function () {
    const pair = await priciestStock();
    await db.insert(vouchers).values({ code: 'BIG31', kind: 'percent', value: 31 });

    const { orderId, quote, idempotencyKey } = await paidLargestOrder(pair, 'BIG31');

    assert.deepEqual([quote.subtotal, quote.discount, quote.total], [LARGEST_TOTAL, 665_719_930_570_000, 1_481_763_716_430_000]);
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    assert.deepEqual([order?.subtotal, order?.discount, order?.total], [quote.subtotal, quote.discount, quote.total]);
    const [payment] = await db.select().from(payments).where(eq(payments.orderId, orderId));
    assert.deepEqual([payment?.status, payment?.amount], ['succeeded', quote.total]);
    const [charged] = await db.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, idempotencyKey));
    assert.equal(charged?.amount, quote.total);

    await activities.commitStock(orderId);
    await activities.setOrderStatus(orderId, 'confirmed');
    for (const id of await activities.createDeliveryOrders(orderId)) {
      await activities.markDeliveryOrder(id, 'shipped');
      await activities.markDeliveryOrder(id, 'delivered');
    }
    await activities.setOrderStatus(orderId, 'delivered');

    // Three units back: their value less their exact share of the discount.
    const first = await activities.recordReturn({ orderId, returnId: randomUUID(), items: [{ ...pair, quantity: 3 }], reason: null });
    assert.equal(first.refundAmount, 3 * LARGEST_PRICE - 1_997_159_791);
    await activities.refundPartial({ orderId, amount: first.refundAmount, idempotencyKey: `return:${first.returnId}` });
    const rest = await activities.recordReturn({ orderId, returnId: randomUUID(), items: null, reason: null });
    assert.equal(rest.everythingReturned, true);
    await activities.refundPartial({ orderId, amount: rest.refundAmount, idempotencyKey: `return:${rest.returnId}` });
    await activities.setOrderStatus(orderId, 'returned');

    assert.equal(await givenBack(orderId), quote.total, 'everything paid came back, not a cent more');
    const [closed] = await db.select({ status: payments.status }).from(payments).where(eq(payments.orderId, orderId));
    assert.equal(closed?.status, 'refunded');
    assert.deepEqual(await levelOf(db, pair), { onHand: 2 * LINES * LARGEST_QUANTITY, reserved: 0 });
    assert.deepEqual(await findMoneyDiscrepancies(db), []);
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('gives the whole of the largest charge back when its saga settles', async function () {
    const pair = await priciestStock();
    const { orderId, quote } = await paidLargestOrder(pair, null);
    assert.equal(quote.total, LARGEST_TOTAL);

    assert.deepEqual(await activities.settlePayments(orderId), { voided: 0, refunded: 1 });
    await activities.releaseStock(orderId, 'cancelled');
    await activities.setOrderStatus(orderId, 'cancelled', 'changed my mind');

    assert.equal(await givenBack(orderId), LARGEST_TOTAL);
    assert.deepEqual(await levelOf(db, pair), { onHand: 2 * LINES * LARGEST_QUANTITY, reserved: 0 });
    assert.deepEqual(await findMoneyDiscrepancies(db), []);
  });
});
