import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { createApp } from '../../api/app';
import { loadConfig } from '../../domain/config';
import { call } from '../support/http';
import { freePort } from '../support/ports';
import type { Stack } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ISSUER = 'https://auth.example.test/';
const AUDIENCE = 'order-service';

// jose is ESM-only; the tests, like the API, load it with a dynamic import.
const jose = () => import('jose');

interface Signing {
  secret?: string;
  alg?: 'HS256' | 'HS512';
  /** `null` leaves the claim out. */
  expiresIn?: string | number | null;
  issuer?: string;
  audience?: string;
}

/** A token signed with JWT_SECRET (HS256) for ISSUER and AUDIENCE, valid for 5 minutes, unless told otherwise. */
async function hs256(claims: JWTPayload, signing: Signing = {}): Promise<string> {
  const { SignJWT } = await jose();
  const { secret = SECRET, alg = 'HS256', expiresIn = '5m', issuer = ISSUER, audience = AUDIENCE } = signing;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setIssuer(issuer).setAudience(audience);
  if (expiresIn !== null) jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('API JWT bearer authentication', () => {
  const stack = suiteStack({ env: { JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });

  describe('HS256 with JWT_SECRET', () => {
    it('accepts a valid token: sub is the customer, who sees only their own orders', async () => {
      const mug = await stockedProduct(stack, 5);
      const token = await hs256({ sub: 'alice' });
      const placed = await call(stack, 'POST', '/orders', {
        token,
        body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }], shippingAddress: 'x' },
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      assert.equal(placed.body.data.customerId, 'alice');
      const mine = await call(stack, 'GET', `/orders/${placed.body.data.id}`, { token });
      assert.equal(mine.status, 200);
      const bobs = await call(stack, 'GET', `/orders/${placed.body.data.id}`, { token: await hs256({ sub: 'bob' }) });
      assert.equal(bobs.status, 403);
      assert.equal(bobs.body.error.code, 'FORBIDDEN');
    });

    it('takes the role from the role claim, defaulting to customer', async () => {
      const admin = await hs256({ sub: 'ops-1', role: 'admin' });
      assert.equal((await call(stack, 'PUT', '/customers/dora', { token: admin, body: { email: 'dora@example.com' } })).status, 201);
      const warehouse = await hs256({ sub: 'picker', role: 'warehouse' });
      assert.equal((await call(stack, 'GET', '/delivery-orders', { token: warehouse })).status, 200);
      const customer = await hs256({ sub: 'dora' });
      const forbidden = await call(stack, 'GET', '/delivery-orders', { token: customer });
      assert.equal(forbidden.status, 403);
      assert.equal((await call(stack, 'GET', '/customers/dora', { token: customer })).status, 200);
    });

    it('answers 401 UNAUTHENTICATED for expired, badly signed, wrongly addressed or malformed tokens, changing nothing', async () => {
      const { UnsecuredJWT } = await jose();
      const epoch = Math.floor(Date.now() / 1000);
      const before = await databaseSnapshot(stack);
      const cases: Array<[string, string]> = [
        ['expired', await hs256({ sub: 'alice' }, { expiresIn: epoch - 60 })],
        ['signed with another secret', await hs256({ sub: 'alice' }, { secret: 'not-the-secret-not-the-secret-not' })],
        ['wrong audience', await hs256({ sub: 'alice' }, { audience: 'another-service' })],
        ['wrong issuer', await hs256({ sub: 'alice' }, { issuer: 'https://evil.test/' })],
        ['no exp', await hs256({ sub: 'alice' }, { expiresIn: null })],
        ['alg none', new UnsecuredJWT({ sub: 'alice', role: 'admin' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode()],
        ['HS512 (not allowed)', await hs256({ sub: 'alice' }, { alg: 'HS512', secret: SECRET.repeat(2) })],
        ['unknown role', await hs256({ sub: 'alice', role: 'root' })],
        ['customer without sub', await hs256({})],
        ['not a JWT', 'not.a.jwt'],
      ];
      for (const [name, token] of cases) {
        const res = await call(stack, 'PUT', '/customers/mallory', { token, body: { email: 'm@example.com' } });
        assert.equal(res.status, 401, name);
        assert.equal(res.body.error.code, 'UNAUTHENTICATED', name);
      }
      const expired = await call(stack, 'GET', '/products', { token: cases[0]![1] });
      assert.match(expired.body.error.message, /expired/);
      assert.deepEqual(await databaseSnapshot(stack), before);
    });

    it('still accepts API keys beside bearer tokens', async () => {
      assert.equal((await call(stack, 'GET', '/products', { key: 'test-admin-key' })).status, 200);
    });
  });

  describe('RS256 / ES256 with JWT_JWKS_URL', () => {
    let jwks: Server;
    let jwksUrl: string;
    let keys: Record<'RS256' | 'ES256' | 'stranger', CryptoKey>;

    before(async () => {
      const { generateKeyPair, exportJWK } = await jose();
      const [rs, es, stranger] = await Promise.all([
        generateKeyPair('RS256'),
        generateKeyPair('ES256'),
        generateKeyPair('RS256'),
      ]);
      keys = { RS256: rs.privateKey, ES256: es.privateKey, stranger: stranger.privateKey };
      // Only the first two public keys are published; `stranger` signs with an unpublished key.
      const published = {
        keys: [
          { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
          { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
        ],
      };
      jwks = createServer((_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(published));
      });
      await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
      jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    after(() => {
      jwks?.close();
    });

    async function signed(alg: 'RS256' | 'ES256', kid: string, key: CryptoKey, claims: JWTPayload, expiresIn: string | number = '5m') {
      const { SignJWT } = await jose();
      return new SignJWT(claims).setProtectedHeader({ alg, kid }).setAudience(AUDIENCE).setExpirationTime(expiresIn).sign(key);
    }

    it('verifies RS256 and ES256 tokens against the published keys and refuses the rest with 401', async () => {
      const api = await listenWithConfig(stack, { JWT_JWKS_URL: jwksUrl, JWT_AUDIENCE: AUDIENCE });
      try {
        const rs = await signed('RS256', 'rs-1', keys.RS256, { sub: 'alice' });
        const es = await signed('ES256', 'es-1', keys.ES256, { sub: 'ops', role: 'admin' });
        assert.equal((await call({ api: api.url }, 'GET', '/customers/alice', { token: rs })).status, 200);
        assert.equal((await call({ api: api.url }, 'GET', '/vouchers/NOPE', { token: es })).status, 404);

        const refused: Array<[string, string]> = [
          ['unpublished key', await signed('RS256', 'rs-1', keys.stranger, { sub: 'alice' })],
          ['unknown kid', await signed('RS256', 'rs-9', keys.stranger, { sub: 'alice' })],
          ['expired', await signed('ES256', 'es-1', keys.ES256, { sub: 'alice' }, Math.floor(Date.now() / 1000) - 60)],
          ['HS256 with no secret configured', await hs256({ sub: 'alice' })],
        ];
        for (const [name, token] of refused) {
          const res = await call({ api: api.url }, 'GET', '/customers/alice', { token });
          assert.equal(res.status, 401, name);
          assert.equal(res.body.error.code, 'UNAUTHENTICATED', name);
        }
      } finally {
        api.server.close();
      }
    });
  });

  describe('with an unreachable JWT_JWKS_URL', () => {
    it('answers 503 INVENTORY_UNAVAILABLE (retry later), not 401, since the token may well be good', async () => {
      const { generateKeyPair, SignJWT } = await jose();
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setExpirationTime('5m')
        .sign(privateKey);
      const api = await listenWithConfig(stack, { JWT_JWKS_URL: `http://127.0.0.1:${await freePort()}/jwks.json` });
      try {
        const res = await call({ api: api.url }, 'GET', '/customers/alice', { token });
        assert.equal(res.status, 503);
        assert.equal(res.body.error.code, 'INVENTORY_UNAVAILABLE');
      } finally {
        api.server.close();
      }
    });
  });

  describe('start-up in production', () => {
    it('builds the app with only a JWT configuration, and refuses without API_KEYS and without JWT settings', () => {
      const production = { ...configEnv(stack), NODE_ENV: 'production' };
      assert.doesNotThrow(() => build(stack, { ...production, JWT_SECRET: SECRET }));
      assert.doesNotThrow(() => build(stack, { ...production, JWT_JWKS_URL: 'https://auth.example.test/jwks.json' }));
      assert.throws(() => build(stack, production), /API_KEYS.*JWT_SECRET/);
    });
  });
});

/** The stack's settings as environment variables, without API_KEYS or JWT settings. */
function configEnv(stack: Stack): Record<string, string> {
  return {
    DATABASE_URL: stack.config.DATABASE_URL!,
    TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
    TASK_QUEUE: stack.config.TASK_QUEUE,
  };
}

function build(stack: Stack, env: Record<string, string>) {
  return createApp({ config: loadConfig(env), database: stack.database, temporal: stack.client });
}

/** A second API over the stack's database and Temporal, configured by `env` (no API keys but the dev one). */
async function listenWithConfig(stack: Stack, env: Record<string, string>): Promise<{ url: string; server: Server }> {
  const warn = console.warn;
  console.warn = () => {}; // the dev-admin-key warning of a config without API_KEYS
  try {
    const app = build(stack, { ...configEnv(stack), NODE_ENV: 'test', ...env });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, server };
  } finally {
    console.warn = warn;
  }
}
