import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { databaseSnapshot } from './database-snapshot';
import { stockedProduct, type StockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const HOUR = 3_600_000;

describe('API vouchers', () => {
  const stack = suiteStack();

  /** A fresh voucher code, created through the admin API with `fields` (active, unlimited by default). */
  async function voucher(fields: Record<string, unknown>): Promise<string> {
    const code = `V-${randomBytes(4).toString('hex')}`;
    const res = await call(stack, 'PUT', `/vouchers/${code}`, { key: KEYS.admin, body: fields });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return code;
  }

  function place(p: StockedProduct, quantity: number, voucherCode?: string) {
    return call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: p.productId, warehouseId: p.warehouseId, quantity }], shippingAddress: 'x', voucherCode },
    });
  }

  async function reserved(p: StockedProduct): Promise<number> {
    const [row] = await stack.database.sql`
      SELECT reserved FROM inventory_levels WHERE product_id = ${p.productId} AND warehouse_id = ${p.warehouseId}`;
    return row!.reserved as number;
  }

  async function redemptions(code: string): Promise<number> {
    const res = await call(stack, 'GET', `/vouchers/${code}`, { key: KEYS.admin });
    assert.equal(res.status, 200);
    return res.body.data.redemptions;
  }

  it('creates a voucher with 201, replaces it with 200 and serves it with its redemptions', async () => {
    const validFrom = new Date(Date.now() - HOUR).toISOString();
    const validUntil = new Date(Date.now() + HOUR).toISOString();
    const body = { kind: 'percent', value: 15, currency: 'USD', minSubtotal: 1000, validFrom, validUntil, maxRedemptions: 3, active: true };
    const created = await call(stack, 'PUT', '/vouchers/SPRING15', { key: KEYS.admin, body });
    assert.equal(created.status, 201);
    const { createdAt, updatedAt, ...rest } = created.body.data;
    assert.deepEqual(rest, { code: 'SPRING15', ...body, redemptions: 0 });
    assert.ok(Date.parse(createdAt) && Date.parse(updatedAt));

    const replaced = await call(stack, 'PUT', '/vouchers/SPRING15', { key: KEYS.admin, body: { kind: 'fixed', value: 500 } });
    assert.equal(replaced.status, 200);
    assert.deepEqual(
      { ...replaced.body.data, createdAt: undefined, updatedAt: undefined },
      {
        code: 'SPRING15',
        kind: 'fixed',
        value: 500,
        currency: null,
        minSubtotal: 0,
        validFrom: null,
        validUntil: null,
        maxRedemptions: null,
        redemptions: 0,
        active: true,
        createdAt: undefined,
        updatedAt: undefined,
      },
    );
    assert.deepEqual((await call(stack, 'GET', '/vouchers/SPRING15', { key: KEYS.admin })).body.data, replaced.body.data);
  });

  it('answers 404 for an unknown voucher and 403 for customers and the warehouse, changing nothing', async () => {
    const before = await databaseSnapshot(stack);
    assert.equal((await call(stack, 'GET', '/vouchers/NOPE', { key: KEYS.admin })).status, 404);
    for (const key of [KEYS.alice, KEYS.warehouse]) {
      for (const [method, body] of [['GET', undefined], ['PUT', { kind: 'fixed', value: 1 }]] as const) {
        const res = await call(stack, method, '/vouchers/FREE', { key, body });
        assert.equal(res.status, 403, `${method} as ${key}`);
        assert.equal(res.body.error.code, 'FORBIDDEN');
      }
    }
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  it('refuses bad vouchers with 400 VALIDATION_ERROR naming the field, changing nothing', async () => {
    const before = await databaseSnapshot(stack);
    const now = Date.now();
    const cases: Array<[string, unknown, string]> = [
      ['kind missing', { value: 10 }, 'kind'],
      ['unknown kind', { kind: 'bogo', value: 10 }, 'kind'],
      ['value 0', { kind: 'fixed', value: 0 }, 'value'],
      ['negative value', { kind: 'fixed', value: -5 }, 'value'],
      ['fractional value', { kind: 'fixed', value: 2.5 }, 'value'],
      ['percent over 100', { kind: 'percent', value: 101 }, 'value'],
      ['another currency', { kind: 'fixed', value: 100, currency: 'EUR' }, 'currency'],
      ['negative minimum', { kind: 'fixed', value: 100, minSubtotal: -1 }, 'minSubtotal'],
      ['maxRedemptions 0', { kind: 'fixed', value: 100, maxRedemptions: 0 }, 'maxRedemptions'],
      ['validFrom not a date', { kind: 'fixed', value: 100, validFrom: 'tomorrow' }, 'validFrom'],
      [
        'validUntil before validFrom',
        { kind: 'fixed', value: 100, validFrom: new Date(now).toISOString(), validUntil: new Date(now - HOUR).toISOString() },
        'validUntil',
      ],
      ['active a string', { kind: 'fixed', value: 100, active: 'yes' }, 'active'],
      ['unknown field', { kind: 'fixed', value: 100, stackable: true }, 'stackable'],
    ];
    for (const [name, body, path] of cases) {
      const res = await call(stack, 'PUT', '/vouchers/BAD', { key: KEYS.admin, body });
      assert.equal(res.status, 400, name);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', name);
      assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path), [path], name);
    }
    const badCode = await call(stack, 'PUT', '/vouchers/SAVE%2010', { key: KEYS.admin, body: { kind: 'fixed', value: 1 } });
    assert.equal(badCode.status, 400);
    assert.equal(badCode.body.error.details[0].location, 'params');
    assert.deepEqual(await databaseSnapshot(stack), before);
  });

  describe('at placement', () => {
    it('takes a percent discount off the subtotal, rounded down, and counts the redemption', async () => {
      const mug = await stockedProduct(stack, 10, 1333);
      const code = await voucher({ kind: 'percent', value: 15 });
      const res = await place(mug, 3, code);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // 15% of 3999 is 599.85: the customer gets 599.
      assert.deepEqual(
        [res.body.data.subtotal, res.body.data.discount, res.body.data.total, res.body.data.voucherCode],
        [3999, 599, 3400, code],
      );
      assert.equal(await redemptions(code), 1);
      const read = await call(stack, 'GET', `/orders/${res.body.data.id}`, { key: KEYS.alice });
      assert.equal(read.body.data.total, 3400);
    });

    it('never takes a fixed discount beyond the subtotal', async () => {
      const mug = await stockedProduct(stack, 10, 800);
      const code = await voucher({ kind: 'fixed', value: 5000, currency: 'USD' });
      const res = await place(mug, 2, code);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual([res.body.data.subtotal, res.body.data.discount, res.body.data.total], [1600, 1600, 0]);
    });

    it('charges the discounted total', async () => {
      const mug = await stockedProduct(stack, 10, 1000);
      const code = await voucher({ kind: 'fixed', value: 250 });
      const id = (await place(mug, 1, code)).body.data.id;
      const paid = await call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.alice });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      const [payment] = await stack.database.sql`SELECT amount FROM payments WHERE order_id = ${id} AND status = 'succeeded'`;
      assert.equal(payment!.amount, 750);
    });

    it('gives the redemption back when the order is cancelled before payment', async () => {
      const mug = await stockedProduct(stack, 10);
      const code = await voucher({ kind: 'percent', value: 10, maxRedemptions: 1 });
      const first = await place(mug, 1, code);
      assert.equal(first.status, 201);
      assert.equal(await redemptions(code), 1);
      const usedUp = await place(mug, 1, code);
      assert.equal(usedUp.status, 409);
      assert.equal(usedUp.body.error.code, 'VOUCHER_UNAVAILABLE');

      assert.equal((await call(stack, 'POST', `/orders/${first.body.data.id}/cancel`, { key: KEYS.alice })).status, 200);
      assert.equal(await redemptions(code), 0);
      assert.equal((await place(mug, 1, code)).status, 201);
    });

    it('answers 409 VOUCHER_UNAVAILABLE for unknown, inactive, out-of-window vouchers and unmet minimums, reserving nothing', async () => {
      const mug = await stockedProduct(stack, 10, 1000);
      const now = Date.now();
      const cases: Array<[string, string]> = [
        ['unknown', 'NO-SUCH-VOUCHER'],
        ['inactive', await voucher({ kind: 'fixed', value: 100, active: false })],
        ['not yet valid', await voucher({ kind: 'fixed', value: 100, validFrom: new Date(now + HOUR).toISOString() })],
        ['expired', await voucher({ kind: 'fixed', value: 100, validUntil: new Date(now - HOUR).toISOString() })],
        ['minimum not met', await voucher({ kind: 'percent', value: 10, minSubtotal: 5000 })],
      ];
      for (const [name, code] of cases) {
        const res = await place(mug, 2, code);
        assert.equal(res.status, 409, `${name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'VOUCHER_UNAVAILABLE', name);
        assert.equal(await reserved(mug), 0, name);
      }
      for (const [, code] of cases.slice(1)) assert.equal(await redemptions(code), 0);
    });

    it('refuses to lower maxRedemptions below the redemptions orders hold', async () => {
      const mug = await stockedProduct(stack, 10);
      const code = await voucher({ kind: 'percent', value: 5, maxRedemptions: 5 });
      for (let i = 0; i < 2; i++) assert.equal((await place(mug, 1, code)).status, 201);
      const before = await databaseSnapshot(stack);
      const limitTo = (maxRedemptions: number) =>
        call(stack, 'PUT', `/vouchers/${code}`, { key: KEYS.admin, body: { kind: 'percent', value: 5, maxRedemptions } });
      const res = await limitTo(1);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.details[0].path, 'maxRedemptions');
      assert.deepEqual(await databaseSnapshot(stack), before);
      const raised = await limitTo(2);
      assert.equal(raised.status, 200);
      assert.equal(raised.body.data.redemptions, 2);
    });
  });
});
