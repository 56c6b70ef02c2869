import { strict as assert } from 'node:assert';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import type { ChargePaymentInput, Payment } from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { findMoneyDiscrepancies } from '../../db/audit';
import { openDatabase, type Database } from '../../db/client';
import { checkMoney } from '../support/audit-scripts';
import { seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { reserveOrder } from '../support/reserved-order';

describe('the money audit: npm run check:money (scripts/check-money.ts)', function () {
  let database: Database;
  let url: string;
  let activities: Activities;

  beforeEach(async function () {
    url = (await createTestDatabase()).url;
    database = openDatabase(url);
    activities = createActivities({ db: database.db, paymentProvider: createSandboxPaymentProvider(database.db) });
  });

  afterEach(async function () {
    await database?.close();
  });

  /** A reserved order of 2 × 2500, charged with `paymentToken` (an unanswered charge is left pending). */
  async function chargedOrder(paymentToken: string): Promise<{ orderId: string; idempotencyKey: string }> {
    const pair = await seedStockedProduct(database.db, { onHand: 10, price: 2500 });
    const { orderId, quote } = await reserveOrder(database.db, [{ ...pair, quantity: 2 }]);
    const input: ChargePaymentInput = {
      orderId,
      amount: quote.total,
      currency: quote.currency,
      paymentToken,
      idempotencyKey: `${orderId}:payment:1`,
    };
    const environment = new MockActivityEnvironment({ startToCloseTimeoutMs: 300 }, { logger: new DefaultLogger('ERROR') });
    await environment
      .run<[ChargePaymentInput], Payment, Activities['chargePayment']>(activities.chargePayment, input)
      .catch((err: unknown) => assert.match(String(err), /did not answer/));
    return { orderId, idempotencyKey: input.idempotencyKey };
  }

  it('exits 0 when every order keeps what its status says and the provider agrees', async function () {
    const confirmed = await chargedOrder('tok_visa');
    await activities.commitStock(confirmed.orderId);
    await activities.setOrderStatus(confirmed.orderId, 'confirmed');
    const expired = await chargedOrder('tok_lost');
    await activities.settlePayments(expired.orderId);
    await activities.setOrderStatus(expired.orderId, 'expired');
    await chargedOrder('tok_lost'); // still awaiting payment: its lost charge is being found out

    const result = await checkMoney(url);

    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout.trim(), 'money consistent: 3 orders checked');
  });

  it('exits 1 and names the order when an expired order kept its charge', async function () {
    const { orderId } = await chargedOrder('tok_visa');
    await activities.releaseStock(orderId, 'expired');
    // The bug this audit exists for: the order expired and nobody gave the charge back.
    await activities.setOrderStatus(orderId, 'expired');

    const result = await checkMoney(url);

    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), [
      `discrepancy: order ${orderId} (expired, total 5000): it keeps 5000, but an order that is expired keeps 0`,
      'money inconsistent: 1 of 1 orders disagree',
    ]);
  });

  it('finds a lost charge left pending on an order that ended, and books that disagree with the provider', async function () {
    const lost = await chargedOrder('tok_lost');
    await activities.setOrderStatus(lost.orderId, 'cancelled', 'changed my mind');
    const refunded = await chargedOrder('tok_visa');
    await activities.refundPayment(refunded.orderId);
    await activities.setOrderStatus(refunded.orderId, 'cancelled', 'changed my mind');
    // The provider's refund goes missing behind our back: our books say refunded, it holds the money.
    await database.sql`DELETE FROM sandbox_refunds WHERE idempotency_key = ${`${refunded.idempotencyKey}:refund`}`;
    await createSandboxPaymentProvider(database.db).charge({ amount: 700, currency: 'USD', paymentToken: null, idempotencyKey: 'nobody:1' });

    const found = await findMoneyDiscrepancies(database.db);

    assert.deepEqual(
      found.map((d) => [d.orderId, d.problems]).sort(),
      [
        [lost.orderId, ['1 payment(s) still pending, but only an order awaiting payment may have one']],
        [refunded.orderId, ['the provider holds 5000 but payments and refunds say 0 is kept']],
        [null, ['the provider holds 700 under key nobody:1, which no payment knows']],
      ].sort(),
    );
  });

  it('exits 2 without DATABASE_URL or when the database cannot be reached', async function () {
    const missing = await checkMoney(undefined);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /usage: DATABASE_URL=postgres:\/\/\.\.\. npm run check:money/);

    const unreachable = await checkMoney(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /cannot check the money/);
  });
});
