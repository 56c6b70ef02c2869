import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { loadConfig } from '../../domain/config';
import { call } from '../support/http';
import { captureLogs } from '../support/logs';
import { KEYS, type Stack } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';

const WARN = 40; // pino's level number

describe('API authentication and roles', () => {
  const stack = suiteStack();

  it('serves health without credentials', async () => {
    const res = await call(stack, 'GET', '/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { status: 'ok' });
    assert.equal(res.body.success, true);
  });

  it('answers 401 UNAUTHENTICATED without an API key', async () => {
    const res = await call(stack, 'GET', '/products');
    assert.equal(res.status, 401);
    assert.equal(res.body.success, false);
    assert.equal(res.body.error.code, 'UNAUTHENTICATED');
  });

  it('answers 401 UNAUTHENTICATED for an unknown API key, even on unknown routes', async () => {
    for (const path of ['/products', '/no-such-thing', '/openapi.json']) {
      const res = await call(stack, 'GET', path, { key: 'not-a-key' });
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error.code, 'UNAUTHENTICATED');
    }
  });

  it('refuses writes without credentials and changes nothing', async () => {
    const before = await databaseSnapshot(stack);
    const res = await call(stack, 'PUT', '/products/sku-anon', { body: { name: 'x', price: 1, currency: 'USD' } });
    assert.equal(res.status, 401);
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('answers 403 FORBIDDEN when the role may not do it, and changes nothing', async () => {
    const before = await databaseSnapshot(stack);
    const cases: Array<[string, string, string, unknown?]> = [
      [KEYS.alice, 'PUT', '/products/sku-cust', { name: 'x', price: 1, currency: 'USD' }],
      [KEYS.warehouse, 'PUT', '/warehouses/wh-x', { name: 'x', priority: 1 }],
      [KEYS.alice, 'PUT', '/inventory/sku-1/wh-1', { onHand: 5 }],
      [KEYS.alice, 'GET', '/inventory/sku-1/wh-1'],
      [KEYS.alice, 'GET', '/delivery-orders'],
      [KEYS.warehouse, 'GET', '/orders'],
      [KEYS.warehouse, 'POST', '/orders', { items: [{ productId: 'a', warehouseId: 'b', quantity: 1 }], shippingAddress: 'x' }],
    ];
    for (const [key, method, path, body] of cases) {
      const res = await call(stack, method, path, { key, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('lets every role read the catalog', async () => {
    for (const key of Object.values(KEYS)) {
      const res = await call(stack, 'GET', '/products', { key });
      assert.equal(res.status, 200);
    }
  });

  it('answers ready, without credentials (probes carry none), when the database and Temporal answer and a worker polls', async () => {
    const res = await call(stack, 'GET', '/ready');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { status: 'ready', database: 'ok', workflowEngine: 'ok', worker: 'ok' });
  });

  describe('without API_KEYS', () => {
    it('accepts dev-admin-key outside production and warns about it', async () => {
      const capture = captureLogs();
      let server: Server | undefined;
      try {
        const config = loadConfig({ ...configEnv(stack), NODE_ENV: 'development' });
        const app = createApp({ config, database: stack.database, temporal: stack.client });
        server = await new Promise<Server>((resolve) => {
          const s = app.listen(0, '127.0.0.1', () => resolve(s));
        });
        const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
        assert.equal((await call({ api }, 'GET', '/products', { key: 'dev-admin-key' })).status, 200);
        assert.equal((await call({ api }, 'GET', '/products', { key: KEYS.admin })).status, 401);
        const warnings = capture.lines.filter((line) => line.level === WARN && line.name === 'api');
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!.msg, /dev-admin-key/);
      } finally {
        capture.stop();
        server?.close();
      }
    });

    it('refuses to build the app in production', () => {
      const config = loadConfig({ ...configEnv(stack), NODE_ENV: 'production' });
      assert.throws(() => createApp({ config, database: stack.database, temporal: stack.client }), /API_KEYS/);
    });
  });
});

/** The stack's settings as environment variables, minus API_KEYS. */
function configEnv(stack: Stack): Record<string, string> {
  return {
    DATABASE_URL: stack.config.DATABASE_URL!,
    TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
    TASK_QUEUE: stack.config.TASK_QUEUE,
  };
}
