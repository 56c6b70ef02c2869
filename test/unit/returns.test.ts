import { strict as assert } from 'node:assert';
import { overReturned, stillReturnable } from '../../domain/returns';

const mug = (quantity: number, warehouseId = 'wh-east') => ({ productId: 'sku-mug', warehouseId, quantity });
const pot = (quantity: number) => ({ productId: 'sku-pot', warehouseId: 'wh-east', quantity });

describe('stillReturnable', function () {
  it('is everything held when nothing came back', function () {
    assert.deepEqual(stillReturnable([mug(2), pot(1)], []), [mug(2), pot(1)]);
  });

  it('subtracts what came back, per product and warehouse, and drops what is all back', function () {
    assert.deepEqual(stillReturnable([mug(2), mug(1, 'wh-west'), pot(1)], [mug(1), pot(1)]), [mug(1), mug(1, 'wh-west')]);
  });

  it('sums split lines of one pair before subtracting', function () {
    assert.deepEqual(stillReturnable([mug(1), mug(2)], [mug(2)]), [mug(1)]);
  });
});

describe('overReturned', function () {
  it('accepts a request within what is left', function () {
    assert.equal(overReturned([mug(2)], [mug(1), mug(1)]), undefined);
  });

  it('names the first line asking for more than is left, with what is left', function () {
    assert.equal(overReturned([mug(2)], [mug(3)]), '3 × sku-mug from wh-east, 2 left');
  });

  it('refuses a line the order never held', function () {
    assert.equal(overReturned([mug(2)], [mug(1, 'wh-west')]), '1 × sku-mug from wh-west, 0 left');
  });

  it('sums repeated lines of one pair before judging them', function () {
    assert.equal(overReturned([mug(2)], [mug(2), mug(1)]), '3 × sku-mug from wh-east, 2 left');
  });
});
