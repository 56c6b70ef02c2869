import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { KeyVoidedError, type PaymentProvider } from '../../activities/payment-provider';
import {
  createPaymentActivities,
  type ChargePaymentInput,
  type Payment,
  type PaymentActivities,
} from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { openDatabase, type Database, type Db } from '../../db/client';
import { payments, refunds, sandboxCharges, sandboxRefunds } from '../../db/schema';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { countingProvider, crashingAfterCharges, type ProviderCalls } from '../support/payment-provider';
import { expectNonRetryable, expectRefusal } from '../support/refusal';
import { reserveOrder } from '../support/reserved-order';

/** An activity context like the worker's; refusals are expected here, so only errors are logged. */
function activityEnvironment(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
}

describe('payment activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let calls: ProviderCalls;
  let sandbox: PaymentProvider;
  let activities: PaymentActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    db = database.db;
  });

  beforeEach(function () {
    const counting = countingProvider(createSandboxPaymentProvider(db));
    sandbox = counting.provider;
    calls = counting.calls;
    activities = createPaymentActivities(db, sandbox);
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
    const crash = crashingAfterCharges(createSandboxPaymentProvider(db));
    const crashing = createPaymentActivities(db, crash.provider);
    const run = () =>
      activityEnvironment().run<[ChargePaymentInput], Payment, PaymentActivities['chargePayment']>(
        crashing.chargePayment,
        input,
      );

    await assert.rejects(run(), /worker lost/);
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['pending']);
    const retried = await run();

    assert.equal(retried.status, 'succeeded');
    assert.equal(crash.charged.size, 1, 'one charge at the provider');
    assert.deepEqual((await paymentsOf(input.orderId)).map((p) => [p.status, p.providerRef]), [['succeeded', [...crash.charged][0]]]);
  });

  /** What the sandbox's own books say about a key: its charge row and every refund of that charge. */
  async function providerBooks(idempotencyKey: string) {
    const [charge] = await db.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, idempotencyKey));
    const given = charge?.providerRef
      ? await db.select().from(sandboxRefunds).where(eq(sandboxRefunds.providerRef, charge.providerRef))
      : [];
    return { charge, refunded: given.reduce((sum, r) => sum + r.amount, 0), refunds: given.length };
  }

  /** A charge attempt bounded like the worker's: the provider gets `deadlineMs` to answer. */
  function chargeWithin(input: ChargePaymentInput, deadlineMs: number, using = activities): Promise<Payment> {
    return activityEnvironment({ startToCloseTimeoutMs: deadlineMs }).run<
      [ChargePaymentInput],
      Payment,
      PaymentActivities['chargePayment']
    >(using.chargePayment, input);
  }

  describe('the sandbox keeps its books in PostgreSQL', function () {
    it('never charges a key twice across provider instances, as after a worker restart', async function () {
      const input = await chargeFor('tok_visa');
      // The first worker charges and is lost before it records the answer.
      const first = crashingAfterCharges(createSandboxPaymentProvider(db));
      await assert.rejects(
        chargeWithin(input, 5_000, createPaymentActivities(db, first.provider)),
        /worker lost/,
      );

      // The retry runs on a fresh worker with a provider instance of its own.
      const restarted = countingProvider(createSandboxPaymentProvider(db));
      const retried = await chargeWithin(input, 5_000, createPaymentActivities(db, restarted.provider));

      assert.equal(retried.status, 'succeeded');
      assert.equal(restarted.calls.charge, 1);
      const books = await providerBooks(input.idempotencyKey);
      assert.equal(books.charge?.status, 'succeeded');
      assert.equal(books.charge?.providerRef, [...first.charged][0], 'the retry got the first charge back');
      assert.deepEqual((await paymentsOf(input.orderId)).map((p) => [p.status, p.providerRef]), [['succeeded', books.charge?.providerRef]]);
    });

    it('charges once when many attempts of one key race, through the activity and at the provider', async function () {
      const input = await chargeFor('tok_visa');

      const answers = await Promise.all(Array.from({ length: 8 }, () => chargeWithin(input, 5_000)));
      const direct = await Promise.all(
        Array.from({ length: 8 }, () => createSandboxPaymentProvider(db).charge({ ...input, idempotencyKey: 'race:direct' })),
      );

      assert.equal(new Set(answers.map((a) => a.paymentId)).size, 1);
      assert.equal((await paymentsOf(input.orderId)).length, 1);
      const [charged] = await db.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, input.idempotencyKey));
      assert.equal(charged?.amount, 5000);
      assert.equal(new Set(direct.map((d) => (d.status === 'succeeded' ? d.providerRef : d.status))).size, 1);
      const rows = await db.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, 'race:direct'));
      assert.equal(rows.length, 1);
    });

    it('refuses a refund beyond what the charge has left, without retrying', async function () {
      const input = await chargeFor('tok_visa'); // 5000
      await charge(input);
      const [payment] = await paymentsOf(input.orderId);
      const ref = payment!.providerRef!;

      await sandbox.refund(ref, 3000, 'over:1');
      await sandbox.refund(ref, 3000, 'over:1'); // a repeat gives nothing more
      await expectNonRetryable(sandbox.refund(ref, 2001, 'over:2'), 'RefundExceedsCharge');

      assert.deepEqual(await providerBooks(input.idempotencyKey).then((b) => [b.refunded, b.refunds]), [3000, 1]);
    });
  });

  describe('settlePayments: what the compensation gives back', function () {
    it('finds a charge whose answer was lost (tok_lost) and voids it', async function () {
      const input = await chargeFor('tok_lost');

      await assert.rejects(chargeWithin(input, 300), /did not answer/);
      assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['pending']);
      const found = await sandbox.lookup(input.idempotencyKey);
      assert.equal(found.status, 'succeeded');
      assert.equal(found.status === 'succeeded' && found.amount, 5000);

      const settled = await activities.settlePayments(input.orderId);

      assert.deepEqual(settled, { voided: 1, refunded: 0 });
      const [payment] = await paymentsOf(input.orderId);
      assert.equal(payment?.status, 'voided');
      assert.equal(payment?.providerRef, found.status === 'succeeded' ? found.providerRef : null);
      assert.deepEqual(await sandbox.lookup(input.idempotencyKey), { status: 'voided', providerRef: payment?.providerRef });
      // Retried with a card that answers, the voided key is refused for good.
      await expectNonRetryable(chargeWithin({ ...input, paymentToken: 'tok_visa' }, 5_000), 'PaymentVoided');
    });

    it('tombstones a key that never charged (tok_timeout), so a charge under it later is refused', async function () {
      const input = await chargeFor('tok_timeout');
      await assert.rejects(chargeWithin(input, 300), /did not answer/);
      assert.deepEqual(await sandbox.lookup(input.idempotencyKey), { status: 'none' });

      assert.deepEqual(await activities.settlePayments(input.orderId), { voided: 1, refunded: 0 });

      assert.deepEqual(await sandbox.lookup(input.idempotencyKey), { status: 'voided', providerRef: null });
      // The charge that was "on its way" arrives late, straight at the provider: refused.
      await assert.rejects(sandbox.charge({ ...input, paymentToken: 'tok_visa' }), KeyVoidedError);
      await expectNonRetryable(chargeWithin({ ...input, paymentToken: 'tok_visa' }, 5_000), 'PaymentVoided');
      assert.equal((await providerBooks(input.idempotencyKey)).charge?.amount, 0, 'nothing was ever taken');
      assert.deepEqual((await paymentsOf(input.orderId)).map((p) => [p.status, p.providerRef]), [['voided', null]]);
    });

    it('refunds a payment that succeeded', async function () {
      const input = await chargeFor('tok_visa');
      await charge(input);

      assert.deepEqual(await activities.settlePayments(input.orderId), { voided: 0, refunded: 1 });

      assert.deepEqual(await refundsOf(input.orderId), [{ idempotencyKey: `${input.orderId}:payment:1:refund`, amount: 5000 }]);
      assert.deepEqual(await providerBooks(input.idempotencyKey).then((b) => [b.refunded, b.refunds]), [5000, 1]);
      const [payment] = await paymentsOf(input.orderId);
      assert.equal(payment?.status, 'refunded');
      const [refund] = await db.select({ status: refunds.status }).from(refunds).where(eq(refunds.orderId, input.orderId));
      assert.equal(refund?.status, 'succeeded');
    });

    it('records a decline whose answer was lost, giving nothing back', async function () {
      const input = await chargeFor('tok_decline');
      const crashing = createPaymentActivities(db, crashingAfterCharges(createSandboxPaymentProvider(db)).provider);
      await assert.rejects(chargeWithin(input, 5_000, crashing), /worker lost/);

      assert.deepEqual(await activities.settlePayments(input.orderId), { voided: 0, refunded: 0 });

      assert.deepEqual(
        (await paymentsOf(input.orderId)).map((p) => [p.status, p.declineCode]),
        [['declined', 'card_declined']],
      );
      assert.equal(calls.void, 0);
      assert.equal(calls.refund, 0);
    });

    it('settles every payment of the order: a decline, a success with a partial refund, a lost charge', async function () {
      const input = await chargeFor('tok_decline');
      await expectRefusal(charge(input), 'PAYMENT_DECLINED');
      const paid = { ...input, paymentToken: null, idempotencyKey: `${input.orderId}:payment:2` };
      await charge(paid);
      await activities.refundPartial({ orderId: input.orderId, amount: 1200, idempotencyKey: 'return:part' });
      const lost = { ...input, paymentToken: 'tok_lost', idempotencyKey: `${input.orderId}:payment:3` };
      await assert.rejects(chargeWithin(lost, 300), /did not answer/);

      assert.deepEqual(await activities.settlePayments(input.orderId), { voided: 1, refunded: 1 });

      assert.deepEqual((await paymentsOf(input.orderId)).map((p) => p.status), ['declined', 'refunded', 'voided']);
      assert.deepEqual(await providerBooks(paid.idempotencyKey).then((b) => b.refunded), 5000);
      assert.equal((await sandbox.lookup(lost.idempotencyKey)).status, 'voided');
    });

    it('gives back exactly once when settle runs twice at the same time', async function () {
      const succeeded = await chargeFor('tok_visa');
      await charge(succeeded);
      const lost = await chargeFor('tok_lost');
      await assert.rejects(chargeWithin(lost, 300), /did not answer/);

      const answers = await Promise.all([
        activities.settlePayments(succeeded.orderId),
        activities.settlePayments(succeeded.orderId),
        activities.settlePayments(lost.orderId),
        activities.settlePayments(lost.orderId),
      ]);

      assert.deepEqual(answers, [
        { voided: 0, refunded: 1 },
        { voided: 0, refunded: 1 },
        { voided: 1, refunded: 0 },
        { voided: 1, refunded: 0 },
      ]);
      assert.deepEqual(await providerBooks(succeeded.idempotencyKey).then((b) => [b.refunded, b.refunds]), [5000, 1]);
      assert.deepEqual(await refundsOf(succeeded.orderId), [{ idempotencyKey: `${succeeded.orderId}:payment:1:refund`, amount: 5000 }]);
      assert.equal((await sandbox.lookup(lost.idempotencyKey)).status, 'voided');
      assert.deepEqual((await paymentsOf(lost.orderId)).map((p) => p.status), ['voided']);
    });

    it('gives back exactly once when settle crashes after the provider acted and runs again', async function () {
      const succeeded = await chargeFor('tok_visa');
      await charge(succeeded);
      const lost = await chargeFor('tok_lost');
      await assert.rejects(chargeWithin(lost, 300), /did not answer/);
      // The worker is lost right after the provider voided or refunded, before the rows say so.
      const real = createSandboxPaymentProvider(db);
      const crashing = createPaymentActivities(db, {
        charge: (request, signal) => real.charge(request, signal),
        lookup: (key) => real.lookup(key),
        async void(key) {
          await real.void(key);
          throw new Error('worker lost after the provider voided');
        },
        async refund(ref, amount, key) {
          await real.refund(ref, amount, key);
          throw new Error('worker lost after the provider refunded');
        },
      });

      await assert.rejects(crashing.settlePayments(succeeded.orderId), /worker lost/);
      await assert.rejects(crashing.settlePayments(lost.orderId), /worker lost/);
      assert.deepEqual((await paymentsOf(succeeded.orderId)).map((p) => p.status), ['succeeded']);
      assert.deepEqual((await paymentsOf(lost.orderId)).map((p) => p.status), ['pending']);
      await Promise.all([activities.settlePayments(succeeded.orderId), activities.settlePayments(lost.orderId)]);
      await activities.settlePayments(succeeded.orderId);

      assert.deepEqual(await providerBooks(succeeded.idempotencyKey).then((b) => [b.refunded, b.refunds]), [5000, 1]);
      assert.deepEqual((await paymentsOf(succeeded.orderId)).map((p) => p.status), ['refunded']);
      assert.deepEqual((await paymentsOf(lost.orderId)).map((p) => p.status), ['voided']);
      assert.equal((await sandbox.lookup(lost.idempotencyKey)).status, 'voided');
    });

    it('does nothing for an order without payments', async function () {
      assert.deepEqual(await activities.settlePayments(randomUUID()), { voided: 0, refunded: 0 });
      assert.deepEqual(calls, { charge: 0, refund: 0, lookup: 0, void: 0 });
    });
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
