import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';
import { databaseSnapshot } from './database-snapshot';

describe('API request handling', () => {
  const stack = suiteStack({ env: { BODY_LIMIT: '2kb' } });

  it('echoes the client X-Request-Id on success and on errors', async () => {
    const ok = await call(stack, 'GET', '/health', { headers: { 'X-Request-Id': 'req-123' } });
    assert.equal(ok.headers.get('x-request-id'), 'req-123');
    assert.equal(ok.body.meta.requestId, 'req-123');
    const refused = await call(stack, 'GET', '/products', { headers: { 'X-Request-Id': 'req-456' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-request-id'), 'req-456');
    assert.equal(refused.body.meta.requestId, 'req-456');
  });

  it('generates an X-Request-Id when the client sends none (or an unusable one)', async () => {
    const first = await call(stack, 'GET', '/health');
    const second = await call(stack, 'GET', '/health', { headers: { 'X-Request-Id': 'has spaces and ünïcode' } });
    for (const res of [first, second]) {
      const id = res.headers.get('x-request-id');
      assert.match(id ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(res.body.meta.requestId, id);
    }
    assert.notEqual(first.headers.get('x-request-id'), second.headers.get('x-request-id'));
  });

  it('answers a path segment that is not valid percent-encoding with 400 VALIDATION_ERROR, not a 500', async () => {
    for (const path of ['/orders/%', '/orders/%E0%A4%A/cancel', '/products/%zz']) {
      const res = await call(stack, 'GET', path, { key: KEYS.admin });
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
      assert.deepEqual(res.body.error.details, [{ path: '', location: 'params', message: 'is not valid percent-encoding' }]);
    }
  });

  it('answers an unknown route with the 404 NOT_FOUND envelope', async () => {
    for (const path of ['/no-such-thing', '/products/a/b/c']) {
      const res = await call(stack, 'GET', path, { key: KEYS.admin });
      assert.equal(res.status, 404, path);
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'meta', 'success']);
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
    const outside = await fetch(stack.api.replace('/api/v1', '/elsewhere'));
    assert.equal(outside.status, 404);
    assert.equal(((await outside.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON and changes nothing', async () => {
    const before = await databaseSnapshot(stack);
    for (const rawBody of ['{"name": "Mug",', 'not json', "{'name': 'Mug'}", '{"name": "Mug"} trailing']) {
      const res = await call(stack, 'PUT', '/products/sku-bad', { key: KEYS.admin, rawBody });
      assert.equal(res.status, 400, rawBody);
      assert.equal(res.body.error.code, 'MALFORMED_JSON', rawBody);
    }
    // JSON of the wrong shape is a schema problem, not malformed.
    for (const rawBody of ['"just a string"', '12', 'null']) {
      const res = await call(stack, 'PUT', '/products/sku-bad', { key: KEYS.admin, rawBody });
      assert.equal(res.status, 400, rawBody);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', rawBody);
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('answers a body over BODY_LIMIT with 413 PAYLOAD_TOO_LARGE and changes nothing', async () => {
    const before = await databaseSnapshot(stack);
    const res = await call(stack, 'PUT', '/products/sku-big', {
      key: KEYS.admin,
      body: { name: 'x'.repeat(4096), price: 100, currency: 'USD' },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('answers a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await call(stack, 'PUT', '/products/sku-form', {
      key: KEYS.admin,
      rawBody: 'name=Mug&price=100',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 415);
    assert.equal(res.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('lists every schema problem as { path, location, message }', async () => {
    const res = await call(stack, 'PUT', '/products/sku-x', {
      key: KEYS.admin,
      body: { name: '', price: 12.5, currency: 'EUR', colour: 'red' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_ERROR');
    const paths = (res.body.error.details as Array<{ path: string; location: string; message: string }>).map((d) => {
      assert.equal(d.location, 'body');
      assert.ok(d.message.length > 0);
      return d.path;
    });
    assert.deepEqual(paths.sort(), ['colour', 'currency', 'name', 'price']);
  });

  it('serves an OpenAPI document built from the request schemas', async () => {
    const res = await call(stack, 'GET', '/openapi.json', { key: KEYS.alice });
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const placing = res.body.paths['/orders'].post;
    const items = placing.requestBody.content['application/json'].schema.properties.items;
    assert.equal(items.maxItems, 100);
    assert.equal(items.items.properties.quantity.maximum, 10000);
    assert.ok(placing.responses['409'] && placing.responses['422'] && placing.responses['201']);
    assert.ok(res.body.paths['/delivery-orders/{deliveryOrderId}/ship'].post);
    for (const [path, method] of [
      ['/customers/{customerId}', 'put'],
      ['/vouchers/{code}', 'put'],
      ['/orders/{orderId}/returns', 'post'],
      ['/orders/{orderId}/timeline', 'get'],
      ['/inventory/adjustments', 'post'],
      ['/inventory/{productId}/{warehouseId}/movements', 'get'],
    ] as const) {
      assert.ok(res.body.paths[path]?.[method], `${method} ${path}`);
    }
    assert.ok(placing.requestBody.content['application/json'].schema.properties.items.items.required.every((f: string) => f !== 'warehouseId'));
    assert.ok(placing.responses['422'].description.includes('CUSTOMER_NOT_ALLOWED'));
    assert.equal(res.body.components.securitySchemes.bearer.scheme, 'bearer');
  });
});
