import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';

describe('API catalog: products and warehouses', () => {
  const stack = suiteStack();

  it('creates a product with 201, replaces it with 200, and serves it', async () => {
    const created = await call(stack, 'PUT', '/products/sku-mug', {
      key: KEYS.admin,
      body: { name: 'Mug', price: 1999, currency: 'USD', active: true },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.data, { id: 'sku-mug', name: 'Mug', price: 1999, currency: 'USD', active: true });

    const updated = await call(stack, 'PUT', '/products/sku-mug', {
      key: KEYS.admin,
      body: { name: 'Big mug', price: 2499, currency: 'USD', active: false },
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body.data, { id: 'sku-mug', name: 'Big mug', price: 2499, currency: 'USD', active: false });

    const read = await call(stack, 'GET', '/products/sku-mug', { key: KEYS.alice });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.data, updated.body.data);
  });

  it('creates and replaces warehouses the same way', async () => {
    const created = await call(stack, 'PUT', '/warehouses/wh-east', { key: KEYS.admin, body: { name: 'East', priority: 1 } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.data, { id: 'wh-east', name: 'East', priority: 1, active: true });
    const updated = await call(stack, 'PUT', '/warehouses/wh-east', { key: KEYS.admin, body: { name: 'East 2', priority: 3 } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.data.priority, 3);
    const read = await call(stack, 'GET', '/warehouses/wh-east', { key: KEYS.warehouse });
    assert.deepEqual(read.body.data, updated.body.data);
  });

  it('answers 404 NOT_FOUND for a product or warehouse that does not exist', async () => {
    for (const path of ['/products/sku-none', '/warehouses/wh-none']) {
      const res = await call(stack, 'GET', path, { key: KEYS.admin });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
  });

  it('paginates lists by id with page, limit, total and totalPages', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call(stack, 'PUT', `/products/page-${i}`, { key: KEYS.admin, body: { name: `P${i}`, price: 100 + i } });
      assert.equal(res.status, 201);
    }
    const total = (await call(stack, 'GET', '/products?limit=1', { key: KEYS.admin })).body.meta.total as number;
    const page2 = await call(stack, 'GET', '/products?page=2&limit=2', { key: KEYS.admin });
    assert.equal(page2.status, 200);
    assert.deepEqual(
      { page: page2.body.meta.page, limit: page2.body.meta.limit, total: page2.body.meta.total, totalPages: page2.body.meta.totalPages },
      { page: 2, limit: 2, total, totalPages: Math.ceil(total / 2) },
    );
    const all = await call(stack, 'GET', '/products?limit=100', { key: KEYS.admin });
    const ids = (all.body.data as Array<{ id: string }>).map((p) => p.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(
      (page2.body.data as Array<{ id: string }>).map((p) => p.id),
      ids.slice(2, 4),
    );
    const defaults = await call(stack, 'GET', '/products', { key: KEYS.admin });
    assert.equal(defaults.body.meta.page, 1);
    assert.equal(defaults.body.meta.limit, 20);
  });

  it('refuses bad pagination with 400 VALIDATION_ERROR', async () => {
    for (const query of ['limit=101', 'limit=0', 'page=0', 'page=-1', 'page=1.5', 'limit=abc', 'page=']) {
      const res = await call(stack, 'GET', `/products?${query}`, { key: KEYS.admin });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', query);
      assert.equal(res.body.error.details[0].location, 'query');
    }
  });

  it('refuses invalid products and warehouses with 400 and changes nothing', async () => {
    const before = await databaseSnapshot(stack);
    const cases: Array<[string, unknown]> = [
      ['/products/sku-ok', { name: 'Mug', price: -1, currency: 'USD' }],
      ['/products/sku-ok', { name: 'Mug', price: 19.99, currency: 'USD' }],
      ['/products/sku-ok', { name: 'Mug', price: '1999', currency: 'USD' }],
      ['/products/sku-ok', { name: 'Mug', price: 1e12, currency: 'USD' }],
      ['/products/sku-ok', { name: 'Mug', price: 100, currency: 'EUR' }],
      ['/products/sku-ok', { name: '   ', price: 100 }],
      ['/products/sku-ok', { price: 100 }],
      ['/products/sku-ok', { name: 'Mug', price: 100, active: 'yes' }],
      ['/products/sku-ok', []],
      [`/products/${'x'.repeat(65)}`, { name: 'Mug', price: 100 }],
      ['/products/bad%20id', { name: 'Mug', price: 100 }],
      ['/warehouses/wh-ok', { name: 'W', priority: 1.5 }],
      ['/warehouses/wh-ok', { name: 'W', priority: -3 }],
      ['/warehouses/wh-ok', { priority: 1 }],
    ];
    for (const [path, body] of cases) {
      const res = await call(stack, 'PUT', path, { key: KEYS.admin, body });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });
});
