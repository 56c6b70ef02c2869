import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import type { PaymentProvider } from '../../activities/payment-provider';
import {
  createPaymentActivities,
  type ChargePaymentInput,
  type Payment,
  type PaymentActivities,
} from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { openDatabase, type Database, type Db } from '../../db/client';
import { payments } from '../../db/schema';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { expectRefusal } from '../support/refusal';
import { reserveOrder } from '../support/reserved-order';

/** An activity context like the worker's; refusals are expected here, so only errors are logged. */
function activityEnvironment(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
}

/** The sandbox provider, counting how often it is asked to do something. */
function countingSandbox() {
  const sandbox = createSandboxPaymentProvider();
  const calls = { charge: 0, refund: 0 };
  const provider: PaymentProvider = {
    charge(request, signal) {
      calls.charge++;
      return sandbox.charge(request, signal);
    },
    refund(providerRef, amount) {
      calls.refund++;
      return sandbox.refund(providerRef, amount);
    },
  };
  return { provider, calls };
}

describe('payment activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let calls: { charge: number; refund: number };
  let activities: PaymentActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
  });

  beforeEach(function () {
    const sandbox = countingSandbox();
    calls = sandbox.calls;
    activities = createPaymentActivities(db, sandbox.provider);
  });

  after(async function () {
    await database?.close();
  });

  /** A charge request for a fresh reserved order; payments reference their order. */
  async function chargeFor(paymentToken: string | null): Promise<ChargePaymentInput> {
    const pair = await seedStockedProduct(db, { onHand: 10, price: 2500 });
    const { orderId, quote } = await reserveOrder(db, [{ ...pair, quantity: 2 }]);
    return { orderId, amount: quote.total, currency: quote.currency, paymentToken, idempotencyKey: `${orderId}:payment:1` };
  }

  /** chargePayment inside an activity context, as the worker runs it. */
  function charge(input: ChargePaymentInput, environment = activityEnvironment()): Promise<Payment> {
    return environment.run<[ChargePaymentInput], Payment, PaymentActivities['chargePayment']>(
      activities.chargePayment,
      input,
    );
  }

  async function paymentsOf(orderId: string) {
    return db
      .select({
        id: payments.id,
        status: payments.status,
        amount: payments.amount,
        declineCode: payments.declineCode,
        providerRef: payments.providerRef,
        refundedAt: payments.refundedAt,
      })
      .from(payments)
      .where(eq(payments.orderId, orderId));
  }

  it('charges once when the same attempt is delivered twice', async function () {
    const input = await chargeFor('tok_visa');

    const first = await charge(input);
    const second = await charge(input);

    assert.deepEqual(second, first);
    assert.equal(calls.charge, 1);
    const [payment, ...others] = await paymentsOf(input.orderId);
    assert.deepEqual(others, []);
    assert.equal(payment?.id, first.paymentId);
    assert.equal(payment?.status, 'succeeded');
    assert.equal(payment?.amount, 5000);
    assert.match(payment?.providerRef ?? '', /^sandbox_ch_/);
  });

  it('refuses a declined card without retrying, and gives the same answer on a repeat', async function () {
    const input = await chargeFor('tok_decline_insufficient_funds');

    const failure = await expectRefusal(charge(input), 'PAYMENT_DECLINED');
    await expectRefusal(charge(input), 'PAYMENT_DECLINED');

    assert.deepEqual(failure.details?.[0], { declineCode: 'card_declined' });
    assert.equal(calls.charge, 1);
    assert.deepEqual(
      (await paymentsOf(input.orderId)).map((p) => ({ status: p.status, declineCode: p.declineCode })),
      [{ status: 'declined', declineCode: 'card_declined' }],
    );
  });

  it('takes a new attempt with another card after a decline', async function () {
    const declined = await chargeFor('tok_decline');
    await expectRefusal(charge(declined), 'PAYMENT_DECLINED');

    await charge({ ...declined, paymentToken: null, idempotencyKey: `${declined.orderId}:payment:2` });

    assert.deepEqual((await paymentsOf(declined.orderId)).map((p) => p.status).sort(), ['declined', 'succeeded']);
  });

  it('gives up on a provider that does not answer when the activity is cancelled, leaving the payment pending', async function () {
    const input = await chargeFor('tok_timeout');
    const environment = activityEnvironment();

    const attempt = charge(input, environment);
    await waitFor(async () => (await paymentsOf(input.orderId)).length === 1);
    environment.cancel();

    await assert.rejects(attempt, /did not answer/);
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['pending']);
  });

  it('gives up on a provider that does not answer once the attempt\'s start-to-close time is up', async function () {
    const input = await chargeFor('tok_timeout_slow');
    const startedAt = Date.now();

    await assert.rejects(charge(input, activityEnvironment({ startToCloseTimeoutMs: 300 })), /did not answer/);

    assert.ok(Date.now() - startedAt >= 250, 'gave up before the deadline');
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['pending']);
  });

  it('refunds a succeeded payment once, however often refund runs', async function () {
    const input = await chargeFor('tok_visa');
    await charge(input);

    await activities.refundPayment(input.orderId);
    await activities.refundPayment(input.orderId);

    assert.equal(calls.refund, 1);
    const [payment] = await paymentsOf(input.orderId);
    assert.equal(payment?.status, 'refunded');
    assert.ok(payment?.refundedAt instanceof Date);
  });

  it('refunds nothing for an order whose payments were all declined', async function () {
    const input = await chargeFor('tok_decline');
    await expectRefusal(charge(input), 'PAYMENT_DECLINED');

    await activities.refundPayment(input.orderId);
    await activities.refundPayment(randomUUID());

    assert.equal(calls.refund, 0);
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['declined']);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
