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
import { payments, refunds } from '../../db/schema';
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
    refund(providerRef, amount, idempotencyKey) {
      calls.refund++;
      return sandbox.refund(providerRef, amount, idempotencyKey);
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

  async function refundsOf(orderId: string) {
    return db
      .select({ idempotencyKey: refunds.idempotencyKey, amount: refunds.amount })
      .from(refunds)
      .where(eq(refunds.orderId, orderId))
      .orderBy(refunds.createdAt);
  }

  it('never charges twice when the attempt fails after the provider charged and is retried', async function () {
    const input = await chargeFor('tok_visa');
    const sandbox = createSandboxPaymentProvider();
    const charged = new Set<string>();
    let crashes = 1;
    const crashing = createPaymentActivities(db, {
      async charge(request, signal) {
        const result = await sandbox.charge(request, signal);
        if (result.status === 'succeeded') charged.add(result.providerRef);
        if (crashes-- > 0) throw new Error('worker lost after the provider charged');
        return result;
      },
      refund: (ref, amount, key) => sandbox.refund(ref, amount, key),
    });
    const run = () =>
      activityEnvironment().run<[ChargePaymentInput], Payment, PaymentActivities['chargePayment']>(
        crashing.chargePayment,
        input,
      );

    await assert.rejects(run(), /worker lost/);
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['pending']);
    const retried = await run();

    assert.equal(retried.status, 'succeeded');
    assert.equal(charged.size, 1, 'one charge at the provider');
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => [p.status, p.providerRef]), [['succeeded', [...charged][0]]]);
  });

  describe('refundPartial and refundPayment', function () {
    it('refunds a part once per key, however often it runs, leaving the payment succeeded', async function () {
      const input = await chargeFor('tok_visa');
      await charge(input);
      const refund = { orderId: input.orderId, amount: 1200, idempotencyKey: 'return:one' };

      await Promise.all([activities.refundPartial(refund), activities.refundPartial(refund)]);
      await activities.refundPartial(refund);

      assert.deepEqual(await refundsOf(input.orderId), [{ idempotencyKey: 'return:one', amount: 1200 }]);
      assert.equal((await paymentsOf(input.orderId))[0]?.status, 'succeeded');
    });

    it('refunds what is left after partial refunds, and closes the payment once everything is back', async function () {
      const input = await chargeFor('tok_visa');
      await charge(input);
      await activities.refundPartial({ orderId: input.orderId, amount: 1200, idempotencyKey: 'return:a' });
      await activities.refundPartial({ orderId: input.orderId, amount: 800, idempotencyKey: 'return:b' });

      await activities.refundPayment(input.orderId);
      await activities.refundPayment(input.orderId);

      assert.deepEqual(await refundsOf(input.orderId), [
        { idempotencyKey: 'return:a', amount: 1200 },
        { idempotencyKey: 'return:b', amount: 800 },
        { idempotencyKey: `${input.orderId}:payment:1:refund`, amount: 3000 },
      ]);
      assert.equal(calls.refund, 3);
      const [payment] = await paymentsOf(input.orderId);
      assert.equal(payment?.status, 'refunded');
      assert.ok(payment?.refundedAt instanceof Date);
    });

    it('never refunds more than was paid: a partial refund is capped, and nothing left means nothing to do', async function () {
      const input = await chargeFor('tok_visa'); // 5000 paid
      await charge(input);

      await activities.refundPartial({ orderId: input.orderId, amount: 4000, idempotencyKey: 'return:big' });
      await activities.refundPartial({ orderId: input.orderId, amount: 4000, idempotencyKey: 'return:bigger' });
      await activities.refundPartial({ orderId: input.orderId, amount: 10, idempotencyKey: 'return:late' });
      await activities.refundPayment(input.orderId);

      assert.deepEqual(await refundsOf(input.orderId), [
        { idempotencyKey: 'return:big', amount: 4000 },
        { idempotencyKey: 'return:bigger', amount: 1000 },
      ]);
      assert.equal(calls.refund, 2);
      assert.equal((await paymentsOf(input.orderId))[0]?.status, 'refunded');
    });

    it('gives back exactly what was paid when a cancel and returns refund at the same time', async function () {
      const input = await chargeFor('tok_visa');
      await charge(input);

      await Promise.all([
        activities.refundPayment(input.orderId),
        ...[1, 2, 3].map((n) => activities.refundPartial({ orderId: input.orderId, amount: 2000, idempotencyKey: `return:${n}` })),
      ]);

      const given = (await refundsOf(input.orderId)).reduce((sum, r) => sum + r.amount, 0);
      assert.equal(given, 5000);
      assert.equal((await paymentsOf(input.orderId))[0]?.status, 'refunded');
    });

    it('refunds nothing for an order that paid nothing', async function () {
      const input = await chargeFor('tok_decline');
      await expectRefusal(charge(input), 'PAYMENT_DECLINED');

      await activities.refundPartial({ orderId: input.orderId, amount: 100, idempotencyKey: 'return:unpaid' });

      assert.deepEqual(await refundsOf(input.orderId), []);
      assert.equal(calls.refund, 0);
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
