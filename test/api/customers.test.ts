import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('API customers', () => {
  const stack = suiteStack();

  it('creates a customer with 201, replaces it with 200, and serves it to admins and to the customer', async () => {
    const created = await call(stack, 'PUT', '/customers/erin', { key: KEYS.admin, body: { email: 'erin@example.com' } });
    assert.equal(created.status, 201);
    const { createdAt, updatedAt, ...rest } = created.body.data;
    assert.deepEqual(rest, { id: 'erin', email: 'erin@example.com', status: 'active' });
    assert.ok(Date.parse(createdAt) && Date.parse(updatedAt));

    const replaced = await call(stack, 'PUT', '/customers/erin', {
      key: KEYS.admin,
      body: { email: 'erin@example.org', status: 'blocked' },
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.email, 'erin@example.org');
    assert.equal(replaced.body.data.status, 'blocked');
    assert.equal(replaced.body.data.createdAt, createdAt);

    const read = await call(stack, 'GET', '/customers/erin', { key: KEYS.admin });
    assert.deepEqual(read.body.data, replaced.body.data);
    const own = await call(stack, 'GET', '/customers/alice', { key: KEYS.alice });
    assert.equal(own.status, 200);
    assert.equal(own.body.data.id, 'alice');
  });

  it('answers 403 for other customers and the warehouse, 404 for unknown ids, changing nothing', async () => {
    const before = await databaseSnapshot(stack);
    const cases: Array<[string, string, string, unknown?]> = [
      [KEYS.alice, 'GET', '/customers/bob'],
      [KEYS.warehouse, 'GET', '/customers/alice'],
      [KEYS.alice, 'PUT', '/customers/alice', { email: 'alice@evil.test', status: 'active' }],
      [KEYS.warehouse, 'PUT', '/customers/zed', { email: 'zed@example.com' }],
    ];
    for (const [key, method, path, body] of cases) {
      const res = await call(stack, method, path, { key, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
    const missing = await call(stack, 'GET', '/customers/nobody', { key: KEYS.admin });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('refuses bad customers with 400 VALIDATION_ERROR, changing nothing', async () => {
    const before = await databaseSnapshot(stack);
    const bodies: Array<[string, string, unknown]> = [
      ['email missing', '/customers/fay', { status: 'active' }],
      ['email malformed', '/customers/fay', { email: 'not-an-email' }],
      ['unknown status', '/customers/fay', { email: 'fay@example.com', status: 'vip' }],
      ['unknown field', '/customers/fay', { email: 'fay@example.com', name: 'Fay' }],
      ['id malformed', '/customers/fay%20x', { email: 'fay@example.com' }],
      ['id too long', `/customers/${'f'.repeat(65)}`, { email: 'fay@example.com' }],
    ];
    for (const [name, path, body] of bodies) {
      const res = await call(stack, 'PUT', path, { key: KEYS.admin, body });
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', name);
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  describe('placing orders', () => {
    it('answers 422 CUSTOMER_NOT_ALLOWED for an unknown customer, reserving nothing', async () => {
      const mug = await stockedProduct(stack, 5);
      const res = await call(stack, 'POST', '/orders', {
        key: KEYS.admin,
        body: { customerId: 'stranger', items: [{ ...line(mug), quantity: 2 }], shippingAddress: 'x' },
      });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'CUSTOMER_NOT_ALLOWED');
      assert.equal(await reserved(mug), 0);
    });

    it('answers 422 CUSTOMER_NOT_ALLOWED once a customer is blocked, and places again once unblocked', async () => {
      const mug = await stockedProduct(stack, 5);
      const body = { items: [{ ...line(mug), quantity: 1 }], shippingAddress: 'x' };
      await call(stack, 'PUT', '/customers/bob', { key: KEYS.admin, body: { email: 'bob@example.com', status: 'blocked' } });
      try {
        const refused = await call(stack, 'POST', '/orders', { key: KEYS.bob, body });
        assert.equal(refused.status, 422);
        assert.equal(refused.body.error.code, 'CUSTOMER_NOT_ALLOWED');
        assert.equal(await reserved(mug), 0);
        const [row] = await stack.database.sql`SELECT count(*)::int AS n FROM stock_reservations sr
          JOIN orders o ON o.id = sr.order_id WHERE o.customer_id = 'bob' AND sr.product_id = ${mug.productId}`;
        assert.equal(row!.n, 0);
      } finally {
        await call(stack, 'PUT', '/customers/bob', { key: KEYS.admin, body: { email: 'bob@example.com', status: 'active' } });
      }
      const placed = await call(stack, 'POST', '/orders', { key: KEYS.bob, body });
      assert.equal(placed.status, 201);
      assert.equal(await reserved(mug), 1);
    });
  });

  function line(p: { productId: string; warehouseId: string }) {
    return { productId: p.productId, warehouseId: p.warehouseId };
  }

  async function reserved(p: { productId: string; warehouseId: string }): Promise<number> {
    const [row] = await stack.database.sql`
      SELECT reserved FROM inventory_levels WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!.reserved as number;
  }
});
