import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../api/app';
import { expressPath } from '../../api/route';
import { call, type CallOptions } from '../support/http';
import { servedRoutes } from '../support/express-routes';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';

const API_PREFIX = '/api/v1';

interface Operation {
  security?: unknown[];
  'x-roles'?: string[];
  responses: Record<string, { description: string }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('API OpenAPI document', () => {
  const stack = suiteStack();
  let document: Document;

  before(async () => {
    const res = await call(stack, 'GET', '/openapi.json', { key: KEYS.admin });
    assert.equal(res.status, 200);
    document = res.body as Document;
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );

  it('names exactly the routes Express serves', () => {
    const app = createApp({ config: stack.config, database: stack.database, temporal: stack.client });
    const served = servedRoutes(app)
      .filter((route) => route.split(' ')[1]!.startsWith(`${API_PREFIX}/`))
      .map((route) => route.replace(` ${API_PREFIX}/`, ' /'));
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${expressPath(path)}`);
    assert.ok(served.length > 30, `only ${served.length} routes found: is the router walk still right for this Express?`);
    assert.deepEqual(
      served.filter((route) => !documented.includes(route)),
      [],
      'served without a declaration in api/route-table.ts',
    );
    assert.deepEqual(
      documented.filter((route) => !served.includes(route)),
      [],
      'documented but not registered with Express',
    );
    assert.equal(new Set(served).size, served.length, 'a route is registered twice');
  });

  it('answers every operation it names from a route, not from the fallback 404', async () => {
    const isFallback = (res: { status: number; body: { error?: { message?: string } } }) =>
      res.status === 404 && /^no route for /.test(res.body.error?.message ?? '');
    // The check can tell: a path that is not served gets the fallback.
    assert.ok(isFallback(await call(stack, 'GET', '/orders/x/no-such-list', { key: KEYS.admin })));
    for (const { path, method } of operations()) {
      // A space fits no path parameter's schema and no body is sent: nothing is changed.
      const res = await call(stack, method.toUpperCase(), path.replace(/\{\w+\}/g, '%20'), { key: KEYS.admin });
      assert.ok(!isFallback(res), `${method.toUpperCase()} ${path} is documented but answered ${res.status} ${JSON.stringify(res.body)}`);
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    assert.deepEqual(result.errors ?? [], []);
    assert.ok(result.valid);
    assert.equal(validator.version, '3.1');
  });

  it('lists itself and the docs page; only the probes and the docs need no credentials', () => {
    assert.ok(document.paths['/openapi.json']?.get?.['x-roles']);
    assert.ok(document.paths['/docs']?.get);
    const open = operations()
      .filter(({ operation }) => operation.security?.length === 0)
      .map(({ method, path }) => `${method} ${path}`)
      .sort();
    assert.deepEqual(open, ['get /docs', 'get /docs/{file}', 'get /health', 'get /ready']);
  });

  it('names 401, 429 and 503 on every route behind credentials, and 403 where a role is turned away', () => {
    for (const { path, method, operation } of operations()) {
      const roles = operation['x-roles'];
      if (!roles) continue;
      const where = `${method} ${path}`;
      assert.match(operation.responses['401']?.description ?? '', /UNAUTHENTICATED/, where);
      assert.match(operation.responses['429']?.description ?? '', /RATE_LIMITED/, where);
      assert.match(operation.responses['503']?.description ?? '', /INVENTORY_UNAVAILABLE/, where);
      if (roles.length < 3) assert.match(operation.responses['403']?.description ?? '', /FORBIDDEN/, where);
    }
  });

  it('names the status and error code of what the routes really answer', async () => {
    const unknownId = randomUUID();
    const cases: Array<[method: string, template: string, path: string, options: CallOptions]> = [
      ['get', '/products', '/products', { key: KEYS.alice }],
      ['get', '/products', '/products', {}],
      ['get', '/products', '/products?limit=0', { key: KEYS.admin }],
      ['put', '/products/{productId}', '/products/sku-doc', { key: KEYS.admin, body: { name: 'Doc', price: 100, currency: 'USD' } }],
      ['put', '/products/{productId}', '/products/sku-doc', { key: KEYS.admin, body: { name: 'Doc', price: 100, currency: 'USD' } }],
      ['put', '/products/{productId}', '/products/sku-doc', { key: KEYS.admin, rawBody: '{"name":' }],
      ['put', '/products/{productId}', '/products/sku-doc', { key: KEYS.alice, body: { name: 'Doc', price: 100, currency: 'USD' } }],
      ['get', '/orders/{orderId}', `/orders/${unknownId}`, { key: KEYS.admin }],
      ['get', '/orders/{orderId}', '/orders/not-a-uuid', { key: KEYS.admin }],
      ['post', '/orders/{orderId}/payment', `/orders/${unknownId}/payment`, { key: KEYS.alice, body: {} }],
      ['post', '/orders/{orderId}/cancel', `/orders/${unknownId}/cancel`, { key: KEYS.warehouse }],
      [
        'post',
        '/orders',
        '/orders',
        { key: KEYS.alice, body: { items: [{ productId: 'sku-none', warehouseId: 'wh-none', quantity: 1 }], shippingAddress: '1 Main St' } },
      ],
      ['get', '/orders/{orderId}/timeline', `/orders/${unknownId}/timeline`, { key: KEYS.admin }],
      ['get', '/inventory/{productId}/{warehouseId}', '/inventory/sku-doc/wh-none', { key: KEYS.warehouse }],
      ['get', '/delivery-orders/{deliveryOrderId}', `/delivery-orders/${unknownId}`, { key: KEYS.warehouse }],
      ['post', '/events/{eventId}/retry', `/events/${unknownId}/retry`, { key: KEYS.admin }],
      ['get', '/vouchers/{code}', '/vouchers/NONE', { key: KEYS.admin }],
      ['get', '/customers/{customerId}', '/customers/bob', { key: KEYS.alice }],
      ['get', '/ready', '/ready', {}],
      ['get', '/docs/{file}', '/docs/secrets.txt', {}],
      ['get', '/openapi.json', '/openapi.json', { key: 'not-a-key' }],
    ];
    for (const [method, template, path, options] of cases) {
      const res = await call(stack, method.toUpperCase(), path, options);
      const where = `${method} ${path} answered ${res.status} ${res.body?.error?.code ?? ''}`;
      const answer = document.paths[template]?.[method]?.responses[String(res.status)];
      assert.ok(answer, `${where}: that status is not documented`);
      if (res.status >= 400) assert.ok(answer.description.split(', ').includes(res.body.error.code), `${where}: that code is not documented`);
    }
  });
});
