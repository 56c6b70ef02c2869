import assert from 'node:assert/strict';
import { extendExpiry, holdMismatch, linesFromHold } from '../../domain/holds';

const held = [
  { productId: 'sku-mug', warehouseId: 'wh-east', quantity: 3 },
  { productId: 'sku-mug', warehouseId: 'wh-west', quantity: 2 },
  { productId: 'sku-cup', warehouseId: 'wh-east', quantity: 1 },
];

describe('stock hold rules', () => {
  describe('holdMismatch', () => {
    it('matches an order asking per product for exactly what the hold holds, wherever it is held', () => {
      assert.equal(
        holdMismatch(held, [
          { productId: 'sku-cup', warehouseId: null, quantity: 1 },
          { productId: 'sku-mug', warehouseId: null, quantity: 4 },
          { productId: 'sku-mug', warehouseId: null, quantity: 1 },
        ]),
        undefined,
      );
    });

    it('matches named warehouses that hold exactly what the order asks of them, the rest left unnamed', () => {
      assert.equal(
        holdMismatch(held, [
          { productId: 'sku-mug', warehouseId: 'wh-east', quantity: 3 },
          { productId: 'sku-mug', warehouseId: null, quantity: 2 },
          { productId: 'sku-cup', warehouseId: 'wh-east', quantity: 1 },
        ]),
        undefined,
      );
    });

    it('refuses other quantities, missing or extra products, and warehouses holding something else', () => {
      const cases = [
        [{ productId: 'sku-mug', warehouseId: null, quantity: 4 }, { productId: 'sku-cup', warehouseId: null, quantity: 1 }],
        [{ productId: 'sku-mug', warehouseId: null, quantity: 5 }],
        [
          { productId: 'sku-mug', warehouseId: null, quantity: 5 },
          { productId: 'sku-cup', warehouseId: null, quantity: 1 },
          { productId: 'sku-pot', warehouseId: null, quantity: 1 },
        ],
        [{ productId: 'sku-mug', warehouseId: 'wh-east', quantity: 5 }, { productId: 'sku-cup', warehouseId: null, quantity: 1 }],
        [{ productId: 'sku-mug', warehouseId: null, quantity: 5 }, { productId: 'sku-cup', warehouseId: 'wh-west', quantity: 1 }],
      ];
      for (const items of cases) assert.ok(holdMismatch(held, items), JSON.stringify(items));
      assert.equal(
        holdMismatch(held, cases[0]!),
        'the hold has 5 × sku-mug, the order asks for 4',
      );
    });
  });

  it("prices the hold's lines with the order's unit prices, in the order's product order", () => {
    const lines = linesFromHold(held, [
      { productId: 'sku-mug', warehouseId: null, quantity: 5, unitPrice: 100, lineTotal: 500 },
      { productId: 'sku-cup', warehouseId: null, quantity: 1, unitPrice: 30, lineTotal: 30 },
    ]);
    assert.deepEqual(lines, [
      { productId: 'sku-mug', warehouseId: 'wh-east', quantity: 3, unitPrice: 100, lineTotal: 300 },
      { productId: 'sku-mug', warehouseId: 'wh-west', quantity: 2, unitPrice: 100, lineTotal: 200 },
      { productId: 'sku-cup', warehouseId: 'wh-east', quantity: 1, unitPrice: 30, lineTotal: 30 },
    ]);
  });

  describe('extendExpiry', () => {
    const limits = {
      expiresAt: '2030-01-01T00:15:00.000Z',
      maxExpiresAt: '2030-01-01T02:00:00.000Z',
      extensions: 0,
      maxExtensions: 1,
    };

    it('pushes the expiry out by the asked time', () => {
      assert.deepEqual(extendExpiry(limits, 10 * 60_000), { ok: true, expiresAt: '2030-01-01T00:25:00.000Z' });
    });

    it('never past the ceiling', () => {
      assert.deepEqual(extendExpiry(limits, 10 * 60 * 60_000), { ok: true, expiresAt: '2030-01-01T02:00:00.000Z' });
    });

    it('refuses once the extensions are used up or the ceiling is reached', () => {
      assert.equal(extendExpiry({ ...limits, extensions: 1 }, 60_000).ok, false);
      assert.equal(extendExpiry({ ...limits, expiresAt: limits.maxExpiresAt, maxExtensions: 5 }, 60_000).ok, false);
    });
  });
});
