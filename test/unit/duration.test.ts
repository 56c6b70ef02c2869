import { strict as assert } from 'node:assert';
import { parseDuration } from '../../domain/duration';

describe('parseDuration', function () {
  for (const [text, ms] of [
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['30d', 2_592_000_000],
    [' 15m ', 900_000],
  ] as const) {
    it(`reads "${text}" as ${ms} ms`, function () {
      assert.equal(parseDuration(text), ms);
    });
  }

  for (const text of ['', '15', 'm', '1.5m', '-5s', '15 m', '15min', '1w', 'PT15M']) {
    it(`refuses "${text}", naming the accepted units`, function () {
      assert.throws(() => parseDuration(text), /invalid duration .*ms, s, m, h or d/);
    });
  }

  it('refuses a zero duration', function () {
    assert.throws(() => parseDuration('0s'), /must be positive/);
  });
});
