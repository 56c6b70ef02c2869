import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { priceLines, type OrderLineRequest, type Quote } from '../../../domain/order';
import { applyDiscount, voucherDiscount, type VoucherRefusal, type VoucherTerms } from '../../../domain/voucher';
import { assertProperty, LARGEST_ORDER_TOTAL, LARGEST_PRICE, productId, warehouseId } from './arbitraries';

const price = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: LARGEST_PRICE }));
const orderLines = fc.array(
  fc.record({ productId, warehouseId: fc.option(warehouseId), quantity: fc.integer({ min: 1, max: 10_000 }) }),
  { minLength: 1, maxLength: 100 },
);
const catalog = fc.record({ 'sku-a': price, 'sku-b': price, 'sku-c': price });

const subtotal = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: LARGEST_ORDER_TOTAL }));

/** Instants a few milliseconds apart, so validity windows are hit on, inside and just outside their edges. */
const instant = fc.integer({ min: 0, max: 6 }).map((ms) => new Date(Date.UTC(2026, 5, 15) + ms));

const voucherTerms: fc.Arbitrary<VoucherTerms> = fc.oneof(
  fc.record({ kind: fc.constant('percent' as const), value: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('fixed' as const), value: fc.integer({ min: 1, max: LARGEST_PRICE }) }),
).chain((discount) =>
  fc.record({
    kind: fc.constant(discount.kind),
    value: fc.constant(discount.value),
    currency: fc.option(fc.constantFrom('USD', 'EUR')),
    minSubtotal: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200_000 })),
    validFrom: fc.option(instant),
    validUntil: fc.option(instant),
    maxRedemptions: fc.option(fc.integer({ min: 1, max: 5 })),
    redemptions: fc.integer({ min: 0, max: 6 }),
    active: fc.boolean(),
  }),
);

/** The refusals API.md lists for a voucher, in the order the service reports the first that applies. */
function refusalsOf(voucher: VoucherTerms, orderSubtotal: number, currency: string, at: Date): VoucherRefusal[] {
  const refusals: Array<[VoucherRefusal, boolean]> = [
    ['inactive', !voucher.active],
    ['not_yet_valid', voucher.validFrom !== null && at < voucher.validFrom],
    ['expired', voucher.validUntil !== null && at > voucher.validUntil],
    ['currency_mismatch', voucher.currency !== null && voucher.currency !== currency],
    ['minimum_not_met', orderSubtotal < voucher.minSubtotal],
    ['used_up', voucher.maxRedemptions !== null && voucher.redemptions >= voucher.maxRedemptions],
  ];
  return refusals.filter(([, applies]) => applies).map(([reason]) => reason);
}

describe('pricing and vouchers (properties)', function () {
  it('prices every line at its unit price and sums them exactly, up to the largest order', function () {
    assertProperty(
      fc.property(orderLines, catalog, (items: OrderLineRequest[], prices) => {
        const quote = priceLines(items, new Map(Object.entries(prices)), 'USD');
        const exact = items.reduce((sum, item) => sum + BigInt(prices[item.productId as keyof typeof prices]) * BigInt(item.quantity), 0n);
        assert.equal(BigInt(quote.subtotal), exact);
        assert.ok(Number.isSafeInteger(quote.subtotal));
        assert.deepEqual(
          quote.lines.map(({ productId: id, warehouseId: wh, quantity }) => ({ productId: id, warehouseId: wh, quantity })),
          items.map((item) => ({ ...item })),
        );
        for (const line of quote.lines) assert.equal(line.lineTotal, line.unitPrice * line.quantity);
        assert.deepEqual([quote.discount, quote.total, quote.currency], [0, quote.subtotal, 'USD']);
      }),
    );
  });

  it('applies a voucher exactly when none of its refusals holds, reporting the first that does', function () {
    assertProperty(
      fc.property(voucherTerms, subtotal, fc.constantFrom('USD', 'EUR'), instant, (voucher, orderSubtotal, currency, at) => {
        const decision = voucherDiscount(voucher, orderSubtotal, currency, at);
        const refusals = refusalsOf(voucher, orderSubtotal, currency, at);
        if (refusals.length > 0) assert.deepEqual(decision, { ok: false, reason: refusals[0] });
        else assert.equal(decision.ok, true);
      }),
      500,
    );
  });

  it('takes the largest whole number of cents not above value% of the subtotal, or the fixed amount up to the subtotal', function () {
    const usable = voucherTerms.map((voucher) => ({
      ...voucher,
      active: true,
      currency: null,
      minSubtotal: 0,
      validFrom: null,
      validUntil: null,
      maxRedemptions: null,
    }));
    assertProperty(
      fc.property(usable, subtotal, (voucher, orderSubtotal) => {
        const decision = voucherDiscount(voucher, orderSubtotal, 'USD', new Date());
        assert.ok(decision.ok);
        const discount = BigInt(decision.discount);
        if (voucher.kind === 'percent') {
          const exact = BigInt(orderSubtotal) * BigInt(voucher.value);
          assert.ok(discount * 100n <= exact && exact < (discount + 1n) * 100n, `${decision.discount} is not ${voucher.value}% of ${orderSubtotal}`);
        } else {
          assert.equal(decision.discount, Math.min(voucher.value, orderSubtotal));
        }
      }),
    );
  });

  it('keeps a discounted total between 0 and the subtotal, and discount + total = subtotal, for any discount', function () {
    const quote = subtotal.map((amount): Quote => ({ lines: [], subtotal: amount, discount: 0, total: amount, currency: 'USD' }));
    const anyDiscount = fc.oneof(fc.integer(), fc.integer({ min: 0, max: LARGEST_ORDER_TOTAL }), fc.constantFrom(-1, 0));
    assertProperty(
      fc.property(quote, anyDiscount, (priced, discount) => {
        const discounted = applyDiscount(priced, discount);
        assert.ok(discounted.discount >= 0 && discounted.discount <= priced.subtotal);
        assert.equal(discounted.discount + discounted.total, priced.subtotal);
        if (discount >= 0 && discount <= priced.subtotal) assert.equal(discounted.discount, discount);
      }),
    );
  });
});
