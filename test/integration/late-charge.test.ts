// The money bug `npm run chaos` found (RESERVATION_TTL=2s, PostgreSQL crashing): a chargePayment
// attempt blocked on writing its `payments` row while the database was away, past its
// start-to-close time. Temporal timed the attempt out, the saga ran out of attempts, the
// reservation lapsed, and the compensation settlePayments found no payment row, so no key to void.
// The attempt was still running in the worker (an activity is not stopped when its attempt times
// out): once the database answered it wrote the row and charged the card, for an order that had
// expired. The saga now tells settlePayments every key it charged with (patch `settle-every-key`),
// and a key without a row is voided at the provider, so the late attempt is refused.
import { strict as assert } from 'node:assert';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createPaymentActivities, type ChargePaymentInput } from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { findMoneyDiscrepancies } from '../../db/audit';
import { openDatabase, type Database } from '../../db/client';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { reserveOrder } from '../support/reserved-order';

describe('a charge attempt that outlives its deadline (real PostgreSQL)', function () {
  let database: Database;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
  });

  after(async function () {
    await database?.close();
  });

  it('never charges an order whose payments the saga has already settled', async function () {
    const { db, sql } = database;
    const activities = createPaymentActivities(db, createSandboxPaymentProvider(db));
    const pair = await seedStockedProduct(db, { onHand: 10, price: 2500 });
    const { orderId, quote } = await reserveOrder(db, [{ ...pair, quantity: 1 }]);
    const input: ChargePaymentInput = {
      orderId,
      amount: quote.total,
      currency: quote.currency,
      paymentToken: 'tok_visa',
      idempotencyKey: `${orderId}:payment:1`,
    };

    // The database stalls writes to `payments` (as a crashed and recovering one does); reads go on.
    const stall = await sql.reserve();
    await stall`BEGIN`;
    await stall`LOCK TABLE payments IN SHARE MODE`;
    const environment = new MockActivityEnvironment({ startToCloseTimeoutMs: 300 }, { logger: new DefaultLogger('ERROR') });
    const attempt = environment.run(activities.chargePayment, input).then(
      () => 'charged',
      (err: Error) => err.message,
    );

    // Past the attempt's deadline Temporal has given up on it; the saga expires the order and
    // settles its payments, finding no row for the key it charged with.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(await activities.settlePayments(orderId, [input.idempotencyKey]), { voided: 0, refunded: 0 });
    await sql`UPDATE orders SET status = 'expired' WHERE id = ${orderId}`;

    // The database recovers; the attempt, still running in the worker, goes on.
    await stall`COMMIT`;
    stall.release();
    const outcome = await attempt;

    assert.match(outcome, /voided/, 'the late attempt is refused by the provider');
    const [provider] = await sql`SELECT status FROM sandbox_charges WHERE idempotency_key = ${input.idempotencyKey}`;
    assert.equal(provider?.status, 'voided', 'nothing is kept at the provider');
    const money = await findMoneyDiscrepancies(db);
    assert.deepEqual(
      money.filter((d) => d.orderId === orderId).map((d) => d.problems),
      [],
      `the late attempt ended "${outcome}" and left the expired order's money wrong`,
    );
  });
});
