import { strict as assert } from 'node:assert';
import { createCustomerActivities, type CustomerActivities } from '../../activities/customers';
import { openDatabase, type Database } from '../../db/client';
import { seedCustomer } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { expectRefusal } from '../support/refusal';

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
});
