import assert from 'node:assert/strict';
import fc from 'fast-check';
import { declaredDocument } from '../support/declared-routes';
import { ERROR_STATUS } from '../../domain/errors';
import { assertProperty } from '../unit/properties/arbitraries';
import { deliveredOrder } from './delivered-order';
import { stockedProduct } from './seed-catalog';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Operation {
  method: string;
  /** As the OpenAPI document writes it: `/orders/{orderId}/payment`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  hasBody: boolean;
}

/** Every operation the API serves, from the same document GET /openapi.json serves: a new route is fuzzed without a change here. */
function operations(): Operation[] {
  const { paths } = declaredDocument() as unknown as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: unknown }>> };
  return Object.entries(paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      hasBody: op.requestBody !== undefined || method !== 'get',
    })),
  );
}

/** What the suite made before fuzzing: real ids, so arbitrary bodies reach past the lookups to the handlers' own checks. */
interface Fixtures {
  ids: Record<string, string[]>;
  validBodies: Record<string, Json>;
}

/** Applies a sequence of edits to a valid body: drop a field, give it any JSON value, or add an unknown one. */
function mutated(valid: Json): fc.Arbitrary<Json> {
  const paths: Array<Array<string | number>> = [];
  const walk = (value: Json, at: Array<string | number>) => {
    paths.push(at);
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...at, i]));
    else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
  };
  walk(valid, []);
  const edit = fc.record({
    path: fc.constantFrom(...paths),
    kind: fc.constantFrom('drop', 'replace', 'add', 'duplicate-in-array'),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1.5, 10_001, 2 ** 31, 2 ** 53 + 2, -0, '', ' ', 'x'.repeat(600))),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'items', ''), fc.string({ maxLength: 8 })),
  });
  return fc.array(edit, { minLength: 1, maxLength: 2 }).map((edits) => {
    let body = structuredClone(valid);
    for (const { path, kind, value, key } of edits) {
      if (path.length === 0) {
        body = kind === 'replace' ? (value as Json) : body;
        continue;
      }
      const parent = path.slice(0, -1).reduce<Json | undefined>((node, step) => (node as Record<string | number, Json> | undefined)?.[step], body);
      if (parent === null || typeof parent !== 'object') continue;
      const last = path[path.length - 1]!;
      const container = parent as Record<string | number, Json>;
      if (kind === 'drop') {
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last];
      } else if (kind === 'replace') container[last] = value as Json;
      else if (kind === 'add' && !Array.isArray(container)) Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(container)) container.push(structuredClone(container[Number(last)] ?? null));
    }
    return body;
  });
}

interface Request {
  key: string | undefined;
  pathValues: string[];
  query: Array<[string, string]>;
  idempotencyKey: string | undefined;
  contentType: string;
  body: string | undefined;
}

/** What HTTP lets a header value hold (RFC 9110 field-vchar, space, tab, obs-text): anything else no client can send. */
const headerCharacter = fc
  .oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
  .map((code) => String.fromCharCode(code));

/** Number literals JSON.stringify cannot write but a client can send. */
const oddNumbers = ['1e400', '-1e400', '9007199254740993', '1.0000000000000002', '1E2', '-0.0', '0x10', '01'];

function requestFor(op: Operation, fixtures: Fixtures): fc.Arbitrary<Request> {
  const segment = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(fixtures.ids[name] ?? ['x'])) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).map(encodeURIComponent) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%00', '..', '%2F', '%E0%A4%A', 'a'.repeat(300), '00000000-0000-0000-0000-000000000000') },
    );
  const valid = fixtures.validBodies[`${op.method} ${op.path}`];
  const jsonBody = fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
    ...(valid === undefined ? [] : [{ weight: 2, arbitrary: fc.constant(valid) }, { weight: 6, arbitrary: mutated(valid) }]),
  );
  const bodyText = fc.oneof(
    { weight: 8, arbitrary: jsonBody.map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(jsonBody.map((body) => JSON.stringify(body) ?? ''), fc.constantFrom(...oddNumbers))
        .map(([text, literal]) => text.replace(/-?\d+(\.\d+)?([eE][+-]?\d+)?/, literal)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(jsonBody.map((body) => JSON.stringify(body) ?? ''), fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc.record({
    key: fc.oneof(
      { weight: 6, arbitrary: fc.constant<string | undefined>(KEYS.admin) },
      { weight: 2, arbitrary: fc.constantFrom<string | undefined>(KEYS.alice, KEYS.warehouse, undefined, 'not-a-key') },
    ),
    pathValues: fc.tuple(...op.pathParams.map(segment)),
    query: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...op.queryParams, 'page', 'limit'), fc.string({ maxLength: 6 })),
        fc.oneof(fc.constantFrom('0', '1', '-1', '1.5', '1e3', '99999999999999999999', 'confirmed', ''), fc.string({ maxLength: 20 })),
      ),
      { maxLength: op.method === 'GET' ? 4 : 1 },
    ),
    idempotencyKey: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ unit: headerCharacter, maxLength: 300 }) },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/merge-patch+json') },
    ),
    body: op.hasBody ? bodyText : fc.constant(undefined),
  });
}

function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.key !== undefined) headers['X-API-Key'] = request.key;
  if (request.idempotencyKey !== undefined) headers['Idempotency-Key'] = request.idempotencyKey;
  if (request.body !== undefined) headers['Content-Type'] = request.contentType;
  return headers;
}

describe('API input (properties): whatever a client sends, the answer is never a 5xx', function () {
  const stack = suiteStack();
  const fixtures: Fixtures = { ids: {}, validBodies: {} };
  const knownCodes = new Set(Object.keys(ERROR_STATUS));

  before(async function () {
    const mug = await stockedProduct(stack, 1_000, 1250);
    const delivered = await deliveredOrder(stack, [[mug, 2]]);
    const awaiting = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: mug.productId, quantity: 1 }], shippingAddress: '1 Main St' },
    });
    assert.equal(awaiting.status, 201, JSON.stringify(awaiting.body));
    const deliveryOrders = await call(stack, 'GET', `/orders/${delivered}/delivery-orders`, { key: KEYS.admin });
    const events = await call(stack, 'GET', '/events?limit=1', { key: KEYS.admin });
    const voucher = await call(stack, 'PUT', '/vouchers/FUZZ10', { key: KEYS.admin, body: { kind: 'percent', value: 10 } });
    assert.equal(voucher.status, 201, JSON.stringify(voucher.body));

    const item = { productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 };
    fixtures.ids = {
      productId: [mug.productId, 'sku-fuzz'],
      warehouseId: [mug.warehouseId, 'wh-fuzz'],
      customerId: ['alice', 'carol'],
      code: ['FUZZ10', 'NOPE'],
      orderId: [awaiting.body.data.id, delivered],
      deliveryOrderId: deliveryOrders.body.data.map((d: { id: string }) => d.id),
      eventId: events.body.data.map((e: { id: string }) => e.id),
    };
    fixtures.validBodies = {
      'PUT /products/{productId}': { name: 'Mug', price: 1250, currency: 'USD', active: true },
      'PUT /warehouses/{warehouseId}': { name: 'East', priority: 1 },
      'PUT /customers/{customerId}': { email: 'a@example.com', status: 'active' },
      'PUT /vouchers/{code}': { kind: 'fixed', value: 500, currency: 'USD', minSubtotal: 1000, validFrom: '2026-01-01T00:00:00Z', validUntil: '2030-01-01T00:00:00Z', maxRedemptions: 100, active: true },
      'PUT /inventory/{productId}/{warehouseId}': { onHand: 1_000, lowStockThreshold: 5 },
      'POST /inventory/adjustments': { productId: mug.productId, warehouseId: mug.warehouseId, delta: 3, reason: 'found' },
      'POST /inventory/batch': { items: [{ productId: mug.productId, warehouseId: mug.warehouseId }] },
      'POST /inventory/check-availability': { items: [item] },
      'POST /orders': { customerId: 'alice', items: [item], shippingAddress: '1 Main St', voucherCode: 'FUZZ10' },
      'POST /orders/{orderId}/payment': { paymentToken: 'tok_visa' },
      'POST /orders/{orderId}/cancel': { reason: 'changed my mind' },
      'POST /orders/{orderId}/returns': { items: [item], reason: 'chipped' },
    };
  });

  for (const op of operations()) {
    it(`${op.method} ${op.path}`, async function () {
      this.timeout(120_000);
      await assertProperty(
        fc.asyncProperty(requestFor(op, fixtures), async (request) => {
          let path = op.path;
          op.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, request.pathValues[i]!)));
          const query = new URLSearchParams(request.query).toString();
          const url = `${stack.api}${path}${query ? `?${query}` : ''}`;
          const response = await fetch(url, {
            method: op.method,
            headers: headersOf(request),
            body: request.body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await response.text();
          assert.ok(response.status < 500, `${op.method} ${url} answered ${response.status}: ${text}`);
          // The API's own answers come in the envelope; the OpenAPI document and the docs page
          // are what they are, except when refused (then in the envelope too).
          if (response.status < 400 && op.path.startsWith('/docs')) return;
          if (response.status < 400 && op.path === '/openapi.json') return;
          const envelope = JSON.parse(text) as { success: boolean; error?: { code: string }; meta: { requestId: string } };
          assert.equal(envelope.success, response.status < 400, text);
          assert.ok(typeof envelope.meta.requestId === 'string', text);
          if (response.status >= 400) assert.ok(knownCodes.has(envelope.error!.code), `unknown error code: ${text}`);
        }),
        Number(process.env.API_FUZZ_RUNS ?? 25),
      );
    });
  }
});

