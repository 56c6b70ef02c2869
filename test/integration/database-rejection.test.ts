import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import type { ChargePaymentInput, Payment } from '../../activities/payments';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import { openDatabase, type Database } from '../../db/client';
import { createTestDatabase } from '../support/database';
import { expectNonRetryable, expectRefusal } from '../support/refusal';

describe('database errors inside activities (real PostgreSQL)', function () {
  let database: Database;
  let activities: Activities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    activities = createActivities({ db: database.db, paymentProvider: createSandboxPaymentProvider(database.db) });
  });

  after(async function () {
    await database?.close();
  });

  it('does not retry a constraint violation: a payment for an order that does not exist', async function () {
    const input: ChargePaymentInput = {
      orderId: randomUUID(),
      amount: 100,
      currency: 'USD',
      paymentToken: null,
      idempotencyKey: `${randomUUID()}:payment:1`,
    };
    const environment = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });

    const failure = await expectNonRetryable(
      environment.run<[ChargePaymentInput], Payment, Activities['chargePayment']>(activities.chargePayment, input),
      'DatabaseRejected',
    );

    assert.deepEqual(failure.details?.[0], {
      sqlState: '23503',
      constraint: 'payments_order_id_orders_id_fk',
      table: 'payments',
      column: null,
    });
    assert.match(failure.message, /^chargePayment: the database rejected the change \(SQLSTATE 23503, table payments, constraint payments_order_id_orders_id_fk\)/);
  });

  it('does not retry a data exception: an order id that is not a uuid', async function () {
    const failure = await expectNonRetryable(activities.setOrderStatus('not-a-uuid', 'confirmed'), 'DatabaseRejected');
    assert.equal((failure.details?.[0] as { sqlState: string }).sqlState, '22P02');
  });

  it('lets business refusals through as they are', async function () {
    await expectRefusal(activities.setOrderStatus(randomUUID(), 'confirmed'), 'ORDER_NOT_FOUND');
  });

  it('keeps retrying what may heal: a database that went away', async function () {
    const gone = openDatabase((await createTestDatabase()).url);
    await gone.close();
    const orphaned = createActivities({ db: gone.db, paymentProvider: createSandboxPaymentProvider(gone.db) });

    const failure = await orphaned.setOrderStatus(randomUUID(), 'confirmed').then(
      () => assert.fail('the closed pool answered'),
      (err: unknown) => err,
    );

    assert.ok(failure instanceof Error);
    assert.ok(!(failure instanceof ApplicationFailure && failure.nonRetryable), `retryable, got ${String(failure)}`);
  });
});
