import assert from 'node:assert/strict';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { payments, stockReservations, voucherRedemptions, vouchers } from '../../db/schema';
import { seedCustomer, seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { checkInventory } from '../support/audit-scripts';
import { call } from '../support/http';
import { levelOf } from '../support/inventory-level';
import { crashingAfterCharges } from '../support/payment-provider';
import { KEYS, startStack, type Stack } from '../support/stack';

const ADDRESS = '1 Main St, Springfield';

describe('order lifecycle on the real stack: vouchers, allocation, crash after charge', function () {
  this.timeout(300_000);
  let stack: Stack;
  // The first charge "loses the worker" right after the provider took the money.
  let crash: ReturnType<typeof crashingAfterCharges>;

  before(async () => {
    stack = await startStack({
      paymentProvider: (db) => (crash = crashingAfterCharges(createSandboxPaymentProvider(db))).provider,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('gives exactly 10 discounted orders and 90 VOUCHER_UNAVAILABLE when 100 orders race for a 10-use voucher', async () => {
    const db = stack.database.db;
    const product = await seedProduct(db, { price: 1000 });
    const warehouse = await seedWarehouse(db);
    await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 500 });
    const customer = await seedCustomer(db);
    await db.insert(vouchers).values({ code: 'RACE10', kind: 'percent', value: 10, maxRedemptions: 10 });

    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        call(stack, 'POST', '/orders', {
          key: KEYS.admin,
          body: {
            customerId: customer.id,
            items: [{ productId: product.id, warehouseId: warehouse.id, quantity: 2 }],
            shippingAddress: ADDRESS,
            voucherCode: 'RACE10',
          },
        }),
      ),
    );

    const placed = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    assert.equal(placed.length, 10);
    assert.equal(refused.length, 90);
    for (const a of placed) assert.deepEqual([a.body.data.subtotal, a.body.data.discount, a.body.data.total], [2000, 200, 1800]);
    for (const a of refused) assert.equal(a.body.error.code, 'VOUCHER_UNAVAILABLE');
    // Nothing is held for the 90: the redemption comes before the reservation.
    assert.deepEqual(await levelOf(db, { productId: product.id, warehouseId: warehouse.id }), { onHand: 500, reserved: 20 });
    const [voucher] = await db.select({ redemptions: vouchers.redemptions }).from(vouchers).where(eq(vouchers.code, 'RACE10'));
    assert.equal(voucher!.redemptions, 10);
    const [active] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(voucherRedemptions)
      .where(eq(voucherRedemptions.status, 'active'));
    assert.equal(active!.n, 10);
    assert.equal((await checkInventory(stack.config.DATABASE_URL)).code, 0);
  });

  it('neither deadlocks nor oversells when carts lock the same SKUs in opposite orders, warehouses left to the server', async () => {
    const db = stack.database.db;
    const [a, b] = [await seedProduct(db), await seedProduct(db)];
    const [near, far] = [await seedWarehouse(db, { priority: 1 }), await seedWarehouse(db, { priority: 2 })];
    for (const product of [a, b]) {
      await seedStock(db, { productId: product.id, warehouseId: near.id, onHand: 15 });
      await seedStock(db, { productId: product.id, warehouseId: far.id, onHand: 15 });
    }
    const customer = await seedCustomer(db);
    const line = (productId: string) => ({ productId, quantity: 1 });

    // 80 carts of one unit of each product against 30 units of each: 50 must be refused.
    const answers = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        call(stack, 'POST', '/orders', {
          key: KEYS.admin,
          body: {
            customerId: customer.id,
            items: i % 2 === 0 ? [line(a.id), line(b.id)] : [line(b.id), line(a.id)],
            shippingAddress: ADDRESS,
          },
        }),
      ),
    );

    assert.deepEqual(
      answers.filter((r) => r.status !== 201 && r.status !== 409).map((r) => [r.status, r.body]),
      [],
      'every cart was placed or refused for stock, none failed',
    );
    const placed = answers.filter((r) => r.status === 201);
    assert.equal(placed.length, 30, 'both products run out after exactly 30 carts');
    for (const r of answers.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'INSUFFICIENT_INVENTORY');
    for (const product of [a, b]) {
      // The near warehouse (priority 1) is used up first.
      assert.deepEqual(await levelOf(db, { productId: product.id, warehouseId: near.id }), { onHand: 15, reserved: 15 });
      assert.deepEqual(await levelOf(db, { productId: product.id, warehouseId: far.id }), { onHand: 15, reserved: 15 });
    }
    const held = await db
      .select({ n: sql<number>`coalesce(sum(${stockReservations.quantity}), 0)::int` })
      .from(stockReservations)
      .where(and(eq(stockReservations.status, 'active'), inArray(stockReservations.productId, [a.id, b.id])));
    assert.equal(held[0]!.n, 60, 'one reservation row per unit held, nothing else');
    assert.equal((await checkInventory(stack.config.DATABASE_URL)).code, 0);
  });

  it('charges once when the worker is lost after the provider charged and Temporal retries the activity', async () => {
    const db = stack.database.db;
    const product = await seedProduct(db, { price: 4200 });
    const warehouse = await seedWarehouse(db);
    await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 3 });
    const customer = await seedCustomer(db);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.admin,
      body: { customerId: customer.id, items: [{ productId: product.id, warehouseId: warehouse.id, quantity: 1 }], shippingAddress: ADDRESS },
    });
    assert.equal(placed.status, 201);
    const orderId: string = placed.body.data.id;

    const paid = await call(stack, 'POST', `/orders/${orderId}/payment`, { key: KEYS.admin, body: { paymentToken: 'tok_visa' } });

    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(paid.body.data.status, 'confirmed');
    assert.equal(crash.charged.size, 1, 'the provider charged once');
    const rows = await db.select({ status: payments.status, providerRef: payments.providerRef }).from(payments).where(eq(payments.orderId, orderId));
    assert.deepEqual(rows, [{ status: 'succeeded', providerRef: [...crash.charged][0] }]);
    const timeline = await call(stack, 'GET', `/orders/${orderId}/timeline`, { key: KEYS.admin });
    const charge = (timeline.body.data as Array<{ step: string; status: string; attempt: number }>).find((e) => e.step === 'chargePayment');
    assert.deepEqual([charge?.status, charge?.attempt], ['completed', 2], 'Temporal retried the charge once');
  });
});
