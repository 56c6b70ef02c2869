import { strict as assert } from 'node:assert';
import { shareOf } from '../../domain/money';

describe('shareOf', function () {
  it('rounds a share down to a whole minor unit', function () {
    assert.equal(shareOf(1000, 1, 3), 333);
    assert.equal(shareOf(999, 15, 100), 149);
    assert.equal(shareOf(0, 5, 7), 0);
  });

  it('is exact where amount × part passes 2^53 and floating point would round up by one', function () {
    // Both products are near 4.6e30 and 6.7e16: Math.floor(a * b / c) answers one cent too many.
    assert.equal(shareOf(1_461_839_428_574_880, 2_131_223_370_795_093, 2_146_642_473_560_874), 1_451_339_192_669_793);
    assert.equal(shareOf(2_146_521_238_224_345, 31, 100), 665_421_583_849_546);
  });

  it('refuses a whole that is not positive', function () {
    assert.throws(() => shareOf(10, 1, 0), RangeError);
  });
});
