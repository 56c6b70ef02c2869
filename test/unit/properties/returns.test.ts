import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { overReturned, refundForReturn, stillReturnable } from '../../../domain/returns';
import { aggregateDemand, type StockLine } from '../../../domain/stock';
import { assertProperty, LARGEST_PRICE, productId, warehouseId } from './arbitraries';

const stockLines = fc.array(fc.record({ productId, warehouseId, quantity: fc.integer({ min: 1, max: 6 }) }), { maxLength: 6 });

/** The reference: goods as a bag of single units, one entry per unit. */
function units(lines: readonly StockLine[]): string[] {
  return lines.flatMap((line) => Array.from({ length: line.quantity }, () => `${line.productId}/${line.warehouseId}`)).sort();
}

/** The bag less the units taken; a unit that is not in the bag is not taken. */
function withoutUnits(bag: readonly string[], taken: readonly string[]): string[] {
  const left = [...bag];
  for (const unit of taken) {
    const at = left.indexOf(unit);
    if (at >= 0) left.splice(at, 1);
  }
  return left;
}

/** A paid order's unit prices, its discount, and returns that bring every unit back, one or more at a time, in any order. */
const returnedOrder = fc
  .record({
    unitPrices: fc.array(fc.oneof(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: LARGEST_PRICE })), {
      minLength: 1,
      maxLength: 20,
    }),
    discountPart: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .chain(({ unitPrices, discountPart }) =>
    fc
      .record({
        order: fc.shuffledSubarray(unitPrices, { minLength: unitPrices.length, maxLength: unitPrices.length }),
        sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: unitPrices.length, maxLength: unitPrices.length }),
      })
      .map(({ order, sizes }) => {
        const subtotal = unitPrices.reduce((sum, price) => sum + price, 0);
        const discount = Math.floor(subtotal * discountPart);
        const returns: number[] = [];
        for (let next = 0; next < order.length; ) {
          const size = sizes[returns.length]!;
          returns.push(order.slice(next, next + size).reduce((sum, price) => sum + price, 0));
          next += size;
        }
        return { subtotal, discount, paid: subtotal - discount, returns };
      }),
  );

describe('returns (properties)', function () {
  it('leaves returnable what the order held less what came back, unit for unit, one line per pair in lock order', function () {
    assertProperty(
      fc.property(stockLines, stockLines, (held, returned) => {
        const left = stillReturnable(held, returned);
        assert.deepEqual(units(left), withoutUnits(units(held), units(returned)));
        const pairs = left.map((line) => `${line.productId}\u0000${line.warehouseId}`);
        assert.deepEqual(pairs, [...new Set(pairs)].sort());
        assert.ok(left.every((line) => line.quantity > 0));
      }),
    );
  });

  it('accepts a return request exactly when every unit it asks for is still returnable', function () {
    assertProperty(
      // What is left comes from stillReturnable: one line per pair.
      fc.property(stockLines.map(aggregateDemand), stockLines, (left, requested) => {
        const everyUnitThere = withoutUnits(units(left), units(requested)).length === units(left).length - units(requested).length;
        assert.equal(overReturned(left, requested) === undefined, everyUnitThere);
      }),
    );
  });

  it('gives back exactly what was paid over any sequence of returns, each at least its fair share (while money is left) and less than a cent more', function () {
    assertProperty(
      fc.property(returnedOrder, ({ subtotal, discount, paid, returns }) => {
        let refunded = 0;
        for (const [index, goodsValue] of returns.entries()) {
          const refundable = paid - refunded;
          const refund = refundForReturn({ subtotal, discount }, goodsValue, refundable);
          if (subtotal > 0) {
            // Scaled by the subtotal, the fair share goodsValue × paid / subtotal is a whole number.
            const scaled = (amount: number) => BigInt(amount) * BigInt(subtotal);
            const fair = BigInt(goodsValue) * BigInt(paid);
            assert.ok(scaled(refund) < fair + BigInt(subtotal), `return ${index} refunds a cent or more above its share`);
            assert.ok(scaled(refund) >= (fair < scaled(refundable) ? fair : scaled(refundable)), `return ${index} refunds below its share`);
          }
          refunded += refund;
          assert.ok(refund >= 0 && refunded <= paid, `return ${index}: refunded ${refunded} of ${paid} paid`);
        }
        assert.equal(refunded, paid);
      }),
      500,
    );
  });
});
