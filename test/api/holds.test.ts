import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { findInventoryDiscrepancies } from '../../db/audit';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct, type StockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('API stock holds (POST /inventory/reserve, release, extend)', () => {
  // Short holds, so expiry can be watched; a ceiling long enough for an extension.
  const stack = suiteStack({ env: { RESERVATION_TTL: '3s', HOLD_MAX_TTL: '1h', RESERVATION_MAX_EXTENSIONS: '1' } });

  function reserve(body: unknown, key: string = KEYS.alice, headers: Record<string, string> = {}) {
    return call(stack, 'POST', '/inventory/reserve', { key, body, headers });
  }

  function hold(id: string, key: string = KEYS.alice) {
    return call(stack, 'GET', `/inventory/reservations/${id}`, { key });
  }

  async function levelOf(product: StockedProduct) {
    const res = await call(stack, 'GET', `/inventory/${product.productId}/${product.warehouseId}`, { key: KEYS.admin });
    return { onHand: res.body.data.onHand, reserved: res.body.data.reserved };
  }

  async function heldFor(product: StockedProduct, quantity: number, expiresIn = 600) {
    const res = await reserve({ items: [{ productId: product.productId, quantity }], expiresIn });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data.reservationId as string;
  }

  it('holds stock for a customer: 201 with the reservation, items allocated and reserved, and the level reserved', async () => {
    const mug = await stockedProduct(stack, 10);

    const res = await reserve({ items: [{ productId: mug.productId, quantity: 3 }], expiresIn: 600, metadata: { cartId: 'c-1' } });

    assert.equal(res.status, 201, JSON.stringify(res.body));
    const data = res.body.data;
    assert.match(data.reservationId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(data.items, [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 3, reserved: true }]);
    assert.deepEqual([data.status, data.customerId, data.metadata], ['active', 'alice', { cartId: 'c-1' }]);
    const heldMs = Date.parse(data.expiresAt) - Date.parse(data.createdAt);
    assert.ok(Math.abs(heldMs - 600_000) < 5_000, `held for ${heldMs} ms`);
    assert.deepEqual(await levelOf(mug), { onHand: 10, reserved: 3 });
    assert.deepEqual((await hold(data.reservationId)).body.data, data);
  });

  it('answers 409 INSUFFICIENT_INVENTORY with the shortfall, holding nothing', async () => {
    const mug = await stockedProduct(stack, 2);
    const before = await databaseSnapshot(stack);

    const res = await reserve({ items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 3 }] });

    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'INSUFFICIENT_INVENTORY');
    assert.deepEqual(res.body.error.details.items, [{ productId: mug.productId, warehouseId: mug.warehouseId, requested: 3, available: 2 }]);
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('never holds more than is on hand when 12 holds race for the last 4 units', async () => {
    const mug = await stockedProduct(stack, 4);

    const answers = await Promise.all(
      Array.from({ length: 12 }, () => reserve({ items: [{ productId: mug.productId, quantity: 1 }], expiresIn: 600 })),
    );

    assert.deepEqual(answers.map((a) => a.status).sort(), [...Array(4).fill(201), ...Array(8).fill(409)]);
    assert.deepEqual(await levelOf(mug), { onHand: 4, reserved: 4 });
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });

  it('releases idempotently: 200 each time, the stock given back once', async () => {
    const mug = await stockedProduct(stack, 10);
    const reservationId = await heldFor(mug, 4);

    const answers = await Promise.all([1, 2].map(() => call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId } })));
    const again = await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId } });

    for (const res of [...answers, again]) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.status, 'released');
    }
    assert.deepEqual(again.body.data.items.map((i: { reserved: boolean }) => i.reserved), [false]);
    assert.deepEqual(await levelOf(mug), { onHand: 10, reserved: 0 });
  });

  it('expires on its own after expiresIn, giving the stock back', async () => {
    const mug = await stockedProduct(stack, 10);
    const reservationId = await heldFor(mug, 2, 1);

    let status = 'active';
    for (let attempt = 0; attempt < 100 && status === 'active'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await hold(reservationId)).body.data.status;
    }

    assert.equal(status, 'expired');
    assert.deepEqual(await levelOf(mug), { onHand: 10, reserved: 0 });
    const release = await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId } });
    assert.deepEqual([release.status, release.body.data.status], [200, 'expired']);
    const extend = await call(stack, 'POST', `/inventory/reservations/${reservationId}/extend`, { key: KEYS.alice, body: {} });
    assert.deepEqual([extend.status, extend.body.error.code], [409, 'HOLD_NOT_ACTIVE']);
  });

  it('extends once by `by` seconds, then answers 409 HOLD_NOT_EXTENDABLE; a released hold answers 409 HOLD_NOT_ACTIVE', async () => {
    const mug = await stockedProduct(stack, 10);
    const reservationId = await heldFor(mug, 1);
    const { expiresAt } = (await hold(reservationId)).body.data;

    const extended = await call(stack, 'POST', `/inventory/reservations/${reservationId}/extend`, { key: KEYS.alice, body: { by: 600 } });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    assert.equal(Date.parse(extended.body.data.expiresAt), Date.parse(expiresAt) + 600_000);
    assert.equal(extended.body.data.extensions, 1);

    const twice = await call(stack, 'POST', `/inventory/reservations/${reservationId}/extend`, { key: KEYS.alice, body: { by: 600 } });
    assert.deepEqual([twice.status, twice.body.error.code], [409, 'HOLD_NOT_EXTENDABLE']);

    await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId } });
    const released = await call(stack, 'POST', `/inventory/reservations/${reservationId}/extend`, { key: KEYS.admin, body: {} });
    assert.deepEqual([released.status, released.body.error.code], [409, 'HOLD_NOT_ACTIVE']);
  });

  it("answers 404 to a customer touching another customer's hold, changing nothing; admins see every hold", async () => {
    const mug = await stockedProduct(stack, 10);
    const reservationId = await heldFor(mug, 1);
    const before = await databaseSnapshot(stack);

    const answers = [
      await hold(reservationId, KEYS.bob),
      await call(stack, 'POST', '/inventory/release', { key: KEYS.bob, body: { reservationId } }),
      await call(stack, 'POST', `/inventory/reservations/${reservationId}/extend`, { key: KEYS.bob, body: {} }),
    ];

    for (const res of answers) assert.deepEqual([res.status, res.body.error.code], [404, 'NOT_FOUND']);
    assert.deepEqual(await databaseSnapshot(stack), before);
    assert.equal((await hold(reservationId, KEYS.admin)).body.data.customerId, 'alice');
    const warehouse = await hold(reservationId, KEYS.warehouse);
    assert.equal(warehouse.status, 403);
    assert.equal((await hold(randomUUID(), KEYS.admin)).status, 404);
  });

  it('lets an admin hold for a named customer, and requires the name', async () => {
    const mug = await stockedProduct(stack, 10);
    const items = [{ productId: mug.productId, quantity: 1 }];

    const named = await reserve({ customerId: 'bob', items }, KEYS.admin);
    assert.equal(named.status, 201, JSON.stringify(named.body));
    assert.equal((await hold(named.body.data.reservationId, KEYS.bob)).body.data.customerId, 'bob');
    const unnamed = await reserve({ items }, KEYS.admin);
    assert.deepEqual([unnamed.status, unnamed.body.error.code], [400, 'VALIDATION_ERROR']);
    const forOther = await reserve({ customerId: 'bob', items }, KEYS.alice);
    assert.equal(forOther.status, 403);
  });

  it('answers a keyed repeat with the same hold, holding once; the key with another body gets 422', async () => {
    const mug = await stockedProduct(stack, 10);
    const body = { items: [{ productId: mug.productId, quantity: 2 }], expiresIn: 600 };
    const headers = { 'Idempotency-Key': `hold-${randomUUID()}` };

    const [first, second] = await Promise.all([reserve(body, KEYS.alice, headers), reserve(body, KEYS.alice, headers)]);
    const later = await reserve(body, KEYS.alice, headers);

    assert.deepEqual([first.status, second.status, later.status], [201, 201, 201]);
    assert.equal(second.body.data.reservationId, first.body.data.reservationId);
    assert.equal(later.body.data.reservationId, first.body.data.reservationId);
    assert.deepEqual(await levelOf(mug), { onHand: 10, reserved: 2 });
    const reused = await reserve({ ...body, expiresIn: 601 }, KEYS.alice, headers);
    assert.deepEqual([reused.status, reused.body.error.code], [422, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('shows holds in the stock ledger with their reservation id', async () => {
    const mug = await stockedProduct(stack, 10);
    const reservationId = await heldFor(mug, 2);
    await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId } });

    const ledger = await call(stack, 'GET', `/inventory/${mug.productId}/${mug.warehouseId}/movements`, { key: KEYS.admin });

    assert.deepEqual(
      ledger.body.data.slice(0, 2).map((m: { reason: string; deltaReserved: number; holdId?: string }) => [m.reason, m.deltaReserved, m.holdId]),
      [['release', -2, reservationId], ['reservation', 2, reservationId]],
    );
  });

  it('refuses bad input with 4xx and the contract code, changing nothing', async () => {
    const mug = await stockedProduct(stack, 10);
    const line = { productId: mug.productId, quantity: 1 };
    const before = await databaseSnapshot(stack);
    const cases: Array<[string, unknown, number, string]> = [
      ['no items', { items: [] }, 400, 'VALIDATION_ERROR'],
      ['quantity 0', { items: [{ ...line, quantity: 0 }] }, 400, 'VALIDATION_ERROR'],
      ['quantity fractional', { items: [{ ...line, quantity: 1.5 }] }, 400, 'VALIDATION_ERROR'],
      ['expiresIn 0', { items: [line], expiresIn: 0 }, 400, 'VALIDATION_ERROR'],
      ['expiresIn past HOLD_MAX_TTL', { items: [line], expiresIn: 3601 }, 400, 'VALIDATION_ERROR'],
      ['expiresIn a string', { items: [line], expiresIn: '60' }, 400, 'VALIDATION_ERROR'],
      ['metadata an array', { items: [line], metadata: [1] }, 400, 'VALIDATION_ERROR'],
      ['metadata too large', { items: [line], metadata: { big: 'x'.repeat(5000) } }, 400, 'VALIDATION_ERROR'],
      ['unknown field', { items: [line], price: 1 }, 400, 'VALIDATION_ERROR'],
      ['unknown product', { items: [{ productId: 'sku-nope', quantity: 1 }] }, 422, 'UNKNOWN_PRODUCT'],
      ['unknown warehouse', { items: [{ ...line, warehouseId: 'wh-nope' }] }, 422, 'UNKNOWN_WAREHOUSE'],
    ];
    for (const [what, body, status, code] of cases) {
      const res = await reserve(body);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], `${what}: ${JSON.stringify(res.body)}`);
    }
    const others: Array<[string, string, string, unknown, number]> = [
      ['release without id', 'POST', '/inventory/release', {}, 400],
      ['release of a malformed id', 'POST', '/inventory/release', { reservationId: 'abc' }, 400],
      ['release of an unknown hold', 'POST', '/inventory/release', { reservationId: randomUUID() }, 404],
      ['extend by 0', 'POST', `/inventory/reservations/${randomUUID()}/extend`, { by: 0 }, 400],
      ['extend of a malformed id', 'POST', '/inventory/reservations/nope/extend', {}, 400],
      ['read of a malformed id', 'GET', '/inventory/reservations/nope', undefined, 400],
    ];
    for (const [what, method, path, body, status] of others) {
      const res = await call(stack, method, path, { key: KEYS.alice, body });
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    }
    const warehouse = await reserve({ items: [line] }, KEYS.warehouse);
    assert.equal(warehouse.status, 403);
    assert.deepEqual(await databaseSnapshot(stack), before);
  });
});
