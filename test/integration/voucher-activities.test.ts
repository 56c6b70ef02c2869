import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { createVoucherActivities, type RedeemVoucherInput, type VoucherActivities } from '../../activities/vouchers';
import { openDatabase, type Database, type Db } from '../../db/client';
import { voucherRedemptions, vouchers } from '../../db/schema';
import { createTestDatabase } from '../support/database';
import { expectRefusal } from '../support/refusal';

type VoucherRow = typeof vouchers.$inferInsert;

const AT = '2026-06-15T12:00:00.000Z';

describe('voucher activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let activities: VoucherActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url, { max: 20 });
    db = database.db;
    activities = createVoucherActivities(db);
  });

  after(async function () {
    await database?.close();
  });

  /** A fresh voucher, 10% off, unlimited and always valid unless told otherwise. */
  async function seedVoucher(fields: Partial<VoucherRow> = {}): Promise<string> {
    const code = `SAVE-${randomBytes(4).toString('hex')}`;
    await db.insert(vouchers).values({ code, kind: 'percent', value: 10, ...fields });
    return code;
  }

  function redemption(code: string, fields: Partial<RedeemVoucherInput> = {}): RedeemVoucherInput {
    return { orderId: randomUUID(), code, subtotal: 9999, currency: 'USD', at: AT, ...fields };
  }

  async function voucherOf(code: string) {
    const [row] = await db.select().from(vouchers).where(eq(vouchers.code, code));
    return row!;
  }

  async function redemptionOf(orderId: string) {
    const [row] = await db
      .select({ discount: voucherRedemptions.discount, status: voucherRedemptions.status })
      .from(voucherRedemptions)
      .where(eq(voucherRedemptions.orderId, orderId));
    return row;
  }

  it('takes one redemption and returns the discount, rounded down', async function () {
    const code = await seedVoucher({ value: 15, maxRedemptions: 5 });
    const input = redemption(code, { subtotal: 999 });

    assert.deepEqual(await activities.redeemVoucher(input), { discount: 149 });

    assert.equal((await voucherOf(code)).redemptions, 1);
    assert.deepEqual(await redemptionOf(input.orderId), { discount: 149, status: 'active' });
  });

  it('answers a repeat for the same order with the stored discount and takes nothing more', async function () {
    const code = await seedVoucher({ kind: 'fixed', value: 500 });
    const input = redemption(code, { subtotal: 2000 });
    await activities.redeemVoucher(input);

    const again = await Promise.all([1, 2, 3].map(() => activities.redeemVoucher({ ...input, subtotal: 100 })));

    assert.deepEqual(again, [{ discount: 500 }, { discount: 500 }, { discount: 500 }]);
    assert.equal((await voucherOf(code)).redemptions, 1);
  });

  it('gives exactly 10 of 100 racing orders a 10-use voucher', async function () {
    const code = await seedVoucher({ maxRedemptions: 10 });

    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => activities.redeemVoucher(redemption(code))));

    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    assert.equal(outcomes.length - refusals.length, 10);
    for (const reason of refusals) {
      assert.ok(reason instanceof ApplicationFailure && reason.type === 'VOUCHER_UNAVAILABLE', String(reason));
      assert.deepEqual(reason.details?.[0], { code, reason: 'used_up' });
    }
    assert.equal((await voucherOf(code)).redemptions, 10);
    const active = await db
      .select({ id: voucherRedemptions.id })
      .from(voucherRedemptions)
      .where(eq(voucherRedemptions.voucherCode, code));
    assert.equal(active.length, 10);
  });

  it('gives a released redemption back once, so another order can use it', async function () {
    const code = await seedVoucher({ maxRedemptions: 1 });
    const first = redemption(code);
    await activities.redeemVoucher(first);
    await expectRefusal(activities.redeemVoucher(redemption(code)), 'VOUCHER_UNAVAILABLE');

    await Promise.all([activities.releaseVoucher(first.orderId), activities.releaseVoucher(first.orderId)]);
    await activities.releaseVoucher(first.orderId);

    assert.equal((await voucherOf(code)).redemptions, 0);
    assert.equal((await redemptionOf(first.orderId))?.status, 'released');
    await activities.redeemVoucher(redemption(code));
    assert.equal((await voucherOf(code)).redemptions, 1);
  });

  it('releases nothing for an order that redeemed nothing', async function () {
    const code = await seedVoucher();
    await activities.redeemVoucher(redemption(code));

    await activities.releaseVoucher(randomUUID());

    assert.equal((await voucherOf(code)).redemptions, 1);
  });

  it('refuses with the reason, taking nothing', async function () {
    const cases: Array<[string, Partial<VoucherRow>, Partial<RedeemVoucherInput>]> = [
      ['inactive', { active: false }, {}],
      ['not_yet_valid', { validFrom: new Date('2026-06-15T12:00:00.001Z') }, {}],
      ['expired', { validUntil: new Date('2026-06-15T11:59:59.999Z') }, {}],
      ['minimum_not_met', { minSubtotal: 10_000 }, { subtotal: 9999 }],
      ['currency_mismatch', { currency: 'EUR' }, {}],
      ['used_up', { maxRedemptions: 0 }, {}],
    ];
    for (const [reason, voucher, order] of cases) {
      const code = await seedVoucher(voucher);
      const input = redemption(code, order);
      const failure = await expectRefusal(activities.redeemVoucher(input), 'VOUCHER_UNAVAILABLE');
      assert.deepEqual(failure.details?.[0], { code, reason }, reason);
      assert.equal((await voucherOf(code)).redemptions, 0);
      assert.equal(await redemptionOf(input.orderId), undefined);
    }
  });

  it('refuses a code that does not exist', async function () {
    const failure = await expectRefusal(activities.redeemVoucher(redemption('NO-SUCH-CODE')), 'VOUCHER_UNAVAILABLE');
    assert.deepEqual(failure.details?.[0], { code: 'NO-SUCH-CODE', reason: 'unknown' });
  });
});
