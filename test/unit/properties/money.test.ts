import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { shareOf } from '../../../domain/money';
import { assertProperty, LARGEST_ORDER_TOTAL } from './arbitraries';

const amount = fc.integer({ min: 0, max: LARGEST_ORDER_TOTAL });

describe('shareOf (properties)', function () {
  // Every caller takes a part of at most the whole (a percentage of 100, returned goods of the
  // subtotal), so the share is at most the amount and stays an exact JS number.
  const partOfWhole = fc
    .tuple(fc.integer({ min: 1, max: LARGEST_ORDER_TOTAL }), fc.integer({ min: 0, max: LARGEST_ORDER_TOTAL }))
    .map(([whole, part]) => ({ whole, part: part % (whole + 1) }));

  it('is the largest whole share: share × whole ≤ amount × part < (share + 1) × whole', function () {
    assertProperty(
      fc.property(amount, partOfWhole, (value, { part, whole }) => {
        const share = BigInt(shareOf(value, part, whole));
        const exact = BigInt(value) * BigInt(part);
        assert.ok(share * BigInt(whole) <= exact, 'share is too large');
        assert.ok(exact < (share + 1n) * BigInt(whole), 'share is too small');
      }),
    );
  });

  it('gives the whole amount for the whole, nothing for no part, and never decreases as the part grows', function () {
    assertProperty(
      fc.property(amount, partOfWhole, (value, { part, whole }) => {
        assert.equal(shareOf(value, whole, whole), value);
        assert.equal(shareOf(value, 0, whole), 0);
        assert.ok(shareOf(value, part, whole) <= shareOf(value, Math.min(part + 1, whole), whole));
      }),
    );
  });

  it('never hands out more in parts than in one share of their sum', function () {
    assertProperty(
      fc.property(amount, fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }), (value, parts) => {
        const whole = parts.reduce((sum, part) => sum + part, 0) || 1;
        const piecewise = parts.reduce((sum, part) => sum + shareOf(value, part, whole), 0);
        assert.ok(piecewise <= shareOf(value, parts.reduce((sum, part) => sum + part, 0), whole));
      }),
    );
  });
});
