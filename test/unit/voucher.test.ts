import { strict as assert } from 'node:assert';
import type { Quote } from '../../domain/order';
import { applyDiscount, voucherDiscount, type VoucherTerms } from '../../domain/voucher';

const NOW = new Date('2026-06-15T12:00:00.000Z');

function voucher(fields: Partial<VoucherTerms> = {}): VoucherTerms {
  return {
    kind: 'percent',
    value: 10,
    currency: null,
    minSubtotal: 0,
    validFrom: null,
    validUntil: null,
    maxRedemptions: null,
    redemptions: 0,
    active: true,
    ...fields,
  };
}

describe('voucherDiscount', function () {
  it('takes a percentage of the subtotal, rounded down to a whole minor unit', function () {
    assert.deepEqual(voucherDiscount(voucher({ value: 15 }), 999, 'USD', NOW), { ok: true, discount: 149 });
    assert.deepEqual(voucherDiscount(voucher({ value: 33 }), 1, 'USD', NOW), { ok: true, discount: 0 });
    assert.deepEqual(voucherDiscount(voucher({ value: 100 }), 4321, 'USD', NOW), { ok: true, discount: 4321 });
  });

  it('takes an exact percentage of the largest subtotals an order can reach', function () {
    // 31% of about 2.1e15 cents: computed in floating point it comes out one cent high.
    assert.deepEqual(voucherDiscount(voucher({ value: 31 }), 2_146_521_238_224_345, 'USD', NOW), {
      ok: true,
      discount: 665_421_583_849_546,
    });
  });

  it('takes a fixed amount, but never more than the subtotal', function () {
    assert.deepEqual(voucherDiscount(voucher({ kind: 'fixed', value: 500 }), 1200, 'USD', NOW), { ok: true, discount: 500 });
    assert.deepEqual(voucherDiscount(voucher({ kind: 'fixed', value: 5000 }), 1200, 'USD', NOW), { ok: true, discount: 1200 });
  });

  it('needs the minimum subtotal, and accepts exactly the minimum', function () {
    const terms = voucher({ minSubtotal: 5000 });
    assert.deepEqual(voucherDiscount(terms, 4999, 'USD', NOW), { ok: false, reason: 'minimum_not_met' });
    assert.deepEqual(voucherDiscount(terms, 5000, 'USD', NOW), { ok: true, discount: 500 });
  });

  it('is valid from its first instant to its last, both included', function () {
    const terms = voucher({ validFrom: NOW, validUntil: new Date(NOW.getTime() + 60_000) });
    assert.deepEqual(voucherDiscount(terms, 100, 'USD', new Date(NOW.getTime() - 1)), { ok: false, reason: 'not_yet_valid' });
    assert.equal(voucherDiscount(terms, 100, 'USD', NOW).ok, true);
    assert.equal(voucherDiscount(terms, 100, 'USD', new Date(NOW.getTime() + 60_000)).ok, true);
    assert.deepEqual(voucherDiscount(terms, 100, 'USD', new Date(NOW.getTime() + 60_001)), { ok: false, reason: 'expired' });
  });

  it('refuses an inactive voucher', function () {
    assert.deepEqual(voucherDiscount(voucher({ active: false }), 100, 'USD', NOW), { ok: false, reason: 'inactive' });
  });

  it('refuses a voucher whose redemptions are used up', function () {
    assert.deepEqual(voucherDiscount(voucher({ maxRedemptions: 10, redemptions: 10 }), 100, 'USD', NOW), {
      ok: false,
      reason: 'used_up',
    });
    assert.equal(voucherDiscount(voucher({ maxRedemptions: 10, redemptions: 9 }), 100, 'USD', NOW).ok, true);
  });

  it('refuses an order in another currency than the voucher names', function () {
    assert.deepEqual(voucherDiscount(voucher({ currency: 'EUR' }), 100, 'USD', NOW), { ok: false, reason: 'currency_mismatch' });
    assert.equal(voucherDiscount(voucher({ currency: 'USD' }), 100, 'USD', NOW).ok, true);
  });
});

describe('applyDiscount', function () {
  const quote: Quote = {
    lines: [{ productId: 'sku-1', warehouseId: null, quantity: 2, unitPrice: 600, lineTotal: 1200 }],
    subtotal: 1200,
    discount: 0,
    total: 1200,
    currency: 'USD',
  };

  it('takes the discount off the total and keeps the subtotal and lines', function () {
    assert.deepEqual(applyDiscount(quote, 300), { ...quote, discount: 300, total: 900 });
  });

  it('never makes the total negative', function () {
    assert.deepEqual(applyDiscount(quote, 5000), { ...quote, discount: 1200, total: 0 });
  });
});
