import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { openDatabase, type Database } from '../../db/client';
import { loadConfig } from '../../domain/config';
import { call } from '../support/http';
import { seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/ports';

/** The API with nothing listening where its database and Temporal should be. */
describe('API when the database and Temporal are unreachable', () => {
  let server: Server;
  let database: Database;
  let connection: Connection;
  let api: string;

  before(async () => {
    const [dbPort, temporalPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/nothing`,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      API_KEYS: 'outage-admin=admin,outage-alice=customer:alice',
    });
    database = openDatabase(config.DATABASE_URL!, { max: 2 });
    connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
    const temporal = new Client({ connection });
    server = await new Promise<Server>((resolve) => {
      const s = createApp({ config, database, temporal }).listen(0, '127.0.0.1', () => resolve(s));
    });
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    server?.close();
    await database?.close();
    await connection?.close().catch(() => undefined);
  });

  it('still answers health', async () => {
    assert.equal((await call({ api }, 'GET', '/health')).status, 200);
  });

  it('answers ready, without credentials, with 503 INVENTORY_UNAVAILABLE naming what is down', async () => {
    const res = await call({ api }, 'GET', '/ready');
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'INVENTORY_UNAVAILABLE');
    assert.deepEqual(res.body.error.details, { database: 'unavailable', workflowEngine: 'unavailable', worker: 'unavailable' });
  });

  it('answers placement with 503 INVENTORY_UNAVAILABLE when only Temporal is down, changing nothing', async () => {
    const testDb = await createTestDatabase();
    const live = openDatabase(testDb.url, { max: 2 });
    try {
      const product = await seedProduct(live.db);
      const warehouse = await seedWarehouse(live.db);
      await seedStock(live.db, { productId: product.id, warehouseId: warehouse.id, onHand: 5 });
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: testDb.url, API_KEYS: 'k=customer:alice' });
      const app = createApp({ config, database: live, temporal: new Client({ connection }) });
      const lone = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      try {
        // The client retries an unreachable server for several seconds before giving up.
        const res = await call({ api: `http://127.0.0.1:${(lone.address() as AddressInfo).port}/api/v1` }, 'POST', '/orders', {
          key: 'k',
          body: { items: [{ productId: product.id, warehouseId: warehouse.id, quantity: 1 }], shippingAddress: 'x' },
        });
        assert.equal(res.status, 503);
        assert.equal(res.body.error.code, 'INVENTORY_UNAVAILABLE');
        const [counts] = await live.sql`SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT reserved FROM inventory_levels) AS reserved`;
        assert.deepEqual({ ...counts }, { orders: 0, reserved: 0 });
      } finally {
        lone.close();
      }
    } finally {
      await live.close();
    }
  });

  it('answers reads and order placement with 503 INVENTORY_UNAVAILABLE, never 500', async () => {
    const reads = await call({ api }, 'GET', '/products', { key: 'outage-admin' });
    assert.equal(reads.status, 503);
    assert.equal(reads.body.error.code, 'INVENTORY_UNAVAILABLE');
    const placing = await call({ api }, 'POST', '/orders', {
      key: 'outage-alice',
      body: { items: [{ productId: 'sku-1', warehouseId: 'wh-1', quantity: 1 }], shippingAddress: 'x' },
    });
    assert.equal(placing.status, 503);
    assert.equal(placing.body.error.code, 'INVENTORY_UNAVAILABLE');
  });
});
