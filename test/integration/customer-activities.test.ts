import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createCustomerActivities, type CustomerActivities } from '../../activities/customers';
import { openDatabase, type Database } from '../../db/client';
import { seedCustomer, seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { expectNonRetryable, expectRefusal } from '../support/refusal';
import { reserveOrder } from '../support/reserved-order';

describe('customer activities (real PostgreSQL)', function () {
  let database: Database;
  let activities: CustomerActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url);
    activities = createCustomerActivities(database.db);
    await seedCustomer(database.db, { id: 'alice' });
    await seedCustomer(database.db, { id: 'mallory', status: 'blocked' });
  });

  after(async function () {
    await database?.close();
  });

  it('lets an active customer order', async function () {
    assert.equal(await activities.validateCustomer('alice'), undefined);
  });

  it('refuses a blocked customer', async function () {
    const failure = await expectRefusal(activities.validateCustomer('mallory'), 'CUSTOMER_NOT_ALLOWED');
    assert.deepEqual(failure.details?.[0], { customerId: 'mallory', reason: 'blocked' });
  });

  it('refuses a customer nobody registered', async function () {
    const failure = await expectRefusal(activities.validateCustomer('nobody'), 'CUSTOMER_NOT_ALLOWED');
    assert.deepEqual(failure.details?.[0], { customerId: 'nobody', reason: 'unknown' });
  });

  it('lets a saga place an order whose id is not taken yet', async function () {
    assert.equal(await activities.validateCustomer('alice', randomUUID()), undefined);
  });

  it('refuses, for good, a second saga over an order that was already placed', async function () {
    const pair = await seedStockedProduct(database.db, { onHand: 5 });
    const { orderId } = await reserveOrder(database.db, [{ ...pair, quantity: 1 }]);

    const failure = await expectNonRetryable(activities.validateCustomer('alice', orderId), 'OrderAlreadyPlaced');

    assert.deepEqual(failure.details?.[0], { orderId, status: 'awaiting_payment' });
  });
});
