import { strict as assert } from 'node:assert';
import { isForward, orderStatusForStages } from '../../domain/delivery';

describe('orderStatusForStages', function () {
  it('stays confirmed while any delivery order waits to ship', function () {
    assert.equal(orderStatusForStages(['reserved']), 'confirmed');
    assert.equal(orderStatusForStages(['shipped', 'reserved']), 'confirmed');
    assert.equal(orderStatusForStages(['delivered', 'reserved']), 'confirmed');
  });

  it('is shipped once every delivery order has left, even if some arrived', function () {
    assert.equal(orderStatusForStages(['shipped']), 'shipped');
    assert.equal(orderStatusForStages(['delivered', 'shipped']), 'shipped');
  });

  it('is delivered only once every delivery order is delivered', function () {
    assert.equal(orderStatusForStages(['delivered']), 'delivered');
    assert.equal(orderStatusForStages(['delivered', 'delivered']), 'delivered');
  });
});

describe('isForward', function () {
  it('is true only for a move past the current stage', function () {
    assert.equal(isForward('reserved', 'shipped'), true);
    assert.equal(isForward('reserved', 'delivered'), true);
    assert.equal(isForward('shipped', 'delivered'), true);
    assert.equal(isForward('shipped', 'shipped'), false);
    assert.equal(isForward('delivered', 'shipped'), false);
  });
});
