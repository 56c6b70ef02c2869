import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { loadConfig, sagaCallBounds } from '../../domain/config';
import { call } from '../support/http';
import { KEYS, type Stack } from '../support/stack';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const SHOP = 'https://shop.example.com';
const JWT_SECRET = 'an-edge-test-secret-long-enough-for-hs256';

/** A customer token for `sub`; each call signs a new one (its own jti). */
async function customerToken(sub: string): Promise<string> {
  const { SignJWT } = await import('jose');
  return new SignJWT({ sub, role: 'customer', jti: `${sub}-${Math.random()}` })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));
}

describe('API at the edge: security headers, CORS, rate limits, request timeout', () => {
  const stack = suiteStack();
  const servers: Server[] = [];
  after(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

  /** Another app over the suite's database and Temporal, with some settings changed. */
  async function appWith(env: Record<string, string>): Promise<Pick<Stack, 'api'>> {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: stack.config.DATABASE_URL!,
      TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
      TASK_QUEUE: stack.config.TASK_QUEUE,
      API_KEYS: stack.config.API_KEYS!,
      ...env,
    });
    const app = createApp({ config, database: stack.database, temporal: stack.client });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1` };
  }

  const preflight = (api: string, origin: string) =>
    fetch(`${api}/orders`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-api-key,idempotency-key' },
    });

  describe('security headers', () => {
    it('sends helmet headers on answers and errors, with a CSP that allows only this origin', async () => {
      for (const res of [await call(stack, 'GET', '/health'), await call(stack, 'GET', '/products')]) {
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'self'/);
        assert.match(csp, /script-src 'self'/);
        assert.match(csp, /object-src 'none'/);
        assert.match(csp, /frame-ancestors 'self'/);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
        assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(res.headers.get('x-powered-by'), null);
      }
    });
  });

  describe('CORS', () => {
    it('grants no cross-origin access when CORS_ORIGINS is unset', async () => {
      const answer = await preflight(stack.api, SHOP);
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
      const read = await call(stack, 'GET', '/products', { key: KEYS.admin, headers: { Origin: SHOP } });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('access-control-allow-origin'), null);
    });

    it('answers the preflight of a listed origin, before authentication, and refuses others', async () => {
      const { api } = await appWith({ CORS_ORIGINS: `${SHOP},http://localhost:5173` });
      const allowed = await preflight(api, SHOP);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), SHOP);
      assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
      const headers = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const header of ['content-type', 'x-api-key', 'idempotency-key', 'authorization']) assert.ok(headers.includes(header), header);

      const refused = await preflight(api, 'https://evil.example.com');
      assert.equal(refused.headers.get('access-control-allow-origin'), null);

      const read = await call({ api }, 'GET', '/products', { key: KEYS.admin, headers: { Origin: SHOP } });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('access-control-allow-origin'), SHOP);
      assert.match(read.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    });

    it('refuses a CORS_ORIGINS entry that is not an origin at start-up', () => {
      assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://shop.example.com/path' }), /CORS_ORIGINS.*not an origin/);
    });
  });

  describe('rate limits', () => {
    it('answers 429 RATE_LIMITED with Retry-After past RATE_LIMIT requests a minute of one credential', async () => {
      const { api } = await appWith({ RATE_LIMIT: '3' });
      for (let i = 0; i < 3; i += 1) assert.equal((await call({ api }, 'GET', '/products', { key: KEYS.alice })).status, 200);
      const limited = await call({ api }, 'GET', '/products', { key: KEYS.alice });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.success, false);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      assert.equal(limited.body.meta.requestId, limited.headers.get('x-request-id'));
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
      assert.match(limited.headers.get('ratelimit') ?? '', /remaining=0/);

      // Another credential has a count of its own; probes are never limited.
      assert.equal((await call({ api }, 'GET', '/products', { key: KEYS.bob })).status, 200);
      assert.equal((await call({ api }, 'GET', '/health')).status, 200);
    });

    it('counts bearer tokens by role and subject, however many tokens one subject holds', async () => {
      const { api } = await appWith({ RATE_LIMIT: '2', JWT_SECRET });
      for (let i = 0; i < 2; i += 1) {
        assert.equal((await call({ api }, 'GET', '/products', { token: await customerToken('alice') })).status, 200);
      }
      const limited = await call({ api }, 'GET', '/products', { token: await customerToken('alice') });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      assert.equal((await call({ api }, 'GET', '/products', { token: await customerToken('bob') })).status, 200);
    });

    it('counts requests that do not authenticate by their address', async () => {
      const { api } = await appWith({ RATE_LIMIT: '2' });
      assert.equal((await call({ api }, 'GET', '/products', { key: 'guessed-1' })).status, 401);
      assert.equal((await call({ api }, 'GET', '/products')).status, 401);
      const limited = await call({ api }, 'GET', '/products', { key: 'guessed-2' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      assert.ok(limited.headers.get('retry-after'));
      // A valid credential is counted on its own, not by the address.
      assert.equal((await call({ api }, 'GET', '/products', { key: KEYS.admin })).status, 200);
    });

    it('does not limit at all when RATE_LIMIT is unset', async () => {
      const answers = await Promise.all(Array.from({ length: 30 }, () => call(stack, 'GET', '/products', { key: KEYS.alice })));
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
      assert.equal(answers[0]!.headers.get('ratelimit'), null);
    });
  });

  describe('request timeout', () => {
    it('answers 503 INVENTORY_UNAVAILABLE once REQUEST_TIMEOUT is over instead of holding the socket', async function () {
      // No worker polls this task queue, so the saga never answers the placement.
      const taskQueue = `orders-unpolled-${Date.now()}`;
      const { api } = await appWith({ REQUEST_TIMEOUT: '400ms', TASK_QUEUE: taskQueue });
      const mug = await stockedProduct(stack, 5);
      const started = Date.now();
      const res = await call({ api }, 'POST', '/orders', {
        key: KEYS.alice,
        headers: { 'Idempotency-Key': `timeout-${started}` },
        body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }], shippingAddress: '1 Main St' },
      });
      const tookMs = Date.now() - started;
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'INVENTORY_UNAVAILABLE');
      assert.ok(tookMs >= 400 && tookMs < 5_000, `answered after ${tookMs} ms`);
      // The app goes on serving.
      assert.equal((await call({ api }, 'GET', '/products', { key: KEYS.alice })).status, 200);

      const sagas = stack.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` });
      for await (const saga of sagas) await stack.client.workflow.getHandle(saga.workflowId).terminate('test clean-up');
    });

    it('defaults REQUEST_TIMEOUT to above the longest saga call', () => {
      const config = loadConfig({ PAYMENT_TIMEOUT: '10s' });
      for (const [call, boundMs] of Object.entries(sagaCallBounds(10_000))) {
        assert.ok(config.REQUEST_TIMEOUT > boundMs, `REQUEST_TIMEOUT ${config.REQUEST_TIMEOUT} is not above the ${call} bound ${boundMs}`);
      }
      assert.equal(loadConfig({ REQUEST_TIMEOUT: '2s' }).REQUEST_TIMEOUT, 2_000);
    });
  });
});
