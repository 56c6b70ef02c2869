import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { allocateLines, type Allocation, type CandidateLevel } from '../../../domain/allocation';
import type { ShortItem } from '../../../domain/errors';
import type { AllocatedLine, PricedLine } from '../../../domain/order';
import { assertProperty, productId, warehouseId } from './arbitraries';

const pricedLines = fc.array(
  fc
    .record({
      productId,
      warehouseId: fc.option(warehouseId, { freq: 2 }),
      quantity: fc.integer({ min: 1, max: 8 }),
      unitPrice: fc.integer({ min: 0, max: 5_000 }),
    })
    .map((line): PricedLine => ({ ...line, lineTotal: line.unitPrice * line.quantity })),
  { minLength: 1, maxLength: 5 },
);

const pair = (productId: string, warehouseId: string) => `${productId}/${warehouseId}`;

/** At most one level per (product, warehouse), as in inventory_levels; one warehouse has one priority and one state. */
const candidateLevels = fc
  .record({
    warehouses: fc.record({
      'wh-1': fc.record({ priority: fc.integer({ min: 0, max: 3 }), active: fc.boolean() }),
      'wh-2': fc.record({ priority: fc.integer({ min: 0, max: 3 }), active: fc.boolean() }),
      'wh-3': fc.record({ priority: fc.integer({ min: 0, max: 3 }), active: fc.boolean() }),
      'wh-4': fc.record({ priority: fc.integer({ min: 0, max: 3 }), active: fc.boolean() }),
    }),
    stock: fc.uniqueArray(fc.record({ productId, warehouseId, available: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 30 })) }), {
      minLength: 6,
      maxLength: 12,
      selector: (level) => pair(level.productId, level.warehouseId),
    }),
  })
  .map(({ warehouses, stock }) =>
    stock.map((level): CandidateLevel => ({ ...level, ...warehouses[level.warehouseId as keyof typeof warehouses] })),
  );

/**
 * The reference: named lines take from their pair, then every other line takes one unit at a
 * time from the best active warehouse that still has one (lowest priority, then id); consecutive
 * units from one warehouse make one line.
 */
function allocateUnitByUnit(lines: readonly PricedLine[], levels: readonly CandidateLevel[]): Allocation {
  const left = new Map(levels.map((level) => [pair(level.productId, level.warehouseId), level.available]));
  const short: ShortItem[] = [];

  const namedPairs = [...new Set(lines.flatMap((line) => (line.warehouseId === null ? [] : [pair(line.productId, line.warehouseId)])))];
  for (const key of namedPairs) {
    const named = lines.filter((line) => line.warehouseId !== null && pair(line.productId, line.warehouseId) === key);
    const requested = named.reduce((sum, line) => sum + line.quantity, 0);
    const available = left.get(key) ?? 0;
    if (requested > available) short.push({ productId: named[0]!.productId, warehouseId: named[0]!.warehouseId, requested, available });
    left.set(key, available - Math.min(requested, available));
  }

  const best = (product: string) =>
    levels
      .filter((level) => level.active && level.productId === product && (left.get(pair(product, level.warehouseId)) ?? 0) > 0)
      .reduce<CandidateLevel | undefined>(
        (chosen, level) =>
          !chosen || level.priority < chosen.priority || (level.priority === chosen.priority && level.warehouseId < chosen.warehouseId)
            ? level
            : chosen,
        undefined,
      );

  const openDemand = new Map<string, ShortItem>();
  for (const line of lines) {
    if (line.warehouseId !== null) continue;
    const available = levels
      .filter((level) => level.active && level.productId === line.productId)
      .reduce((sum, level) => sum + (left.get(pair(level.productId, level.warehouseId)) ?? 0), 0);
    const item = openDemand.get(line.productId) ?? { productId: line.productId, warehouseId: null, requested: 0, available };
    item.requested += line.quantity;
    openDemand.set(line.productId, item);
  }
  for (const item of openDemand.values()) if (item.requested > item.available) short.push(item);
  if (short.length > 0) {
    const order = (item: ShortItem) => `${item.productId}\u0000${item.warehouseId ?? '\uffff'}`;
    return { ok: false, short: short.sort((a, b) => (order(a) < order(b) ? -1 : 1)) };
  }

  const allocated: AllocatedLine[] = [];
  for (const line of lines) {
    if (line.warehouseId !== null) {
      allocated.push({ ...line, warehouseId: line.warehouseId });
      continue;
    }
    const parts: AllocatedLine[] = [];
    for (let unit = 0; unit < line.quantity; unit++) {
      const level = best(line.productId)!;
      const key = pair(level.productId, level.warehouseId);
      left.set(key, left.get(key)! - 1);
      const last = parts.at(-1);
      if (last?.warehouseId === level.warehouseId) last.quantity += 1;
      else parts.push({ ...line, warehouseId: level.warehouseId, quantity: 1 });
    }
    allocated.push(...parts.map((part) => ({ ...part, lineTotal: part.unitPrice * part.quantity })));
  }
  return { ok: true, lines: allocated };
}

describe('allocateLines (properties)', function () {
  it('allocates and refuses exactly as taking one unit at a time from the best warehouse would', function () {
    assertProperty(
      fc.property(pricedLines, candidateLevels, (lines, levels) => {
        assert.deepEqual(allocateLines(lines, levels), allocateUnitByUnit(lines, levels));
      }),
      2000,
    );
  });

  it('never takes more from a level than it has, nor from an inactive warehouse unless a line names it', function () {
    assertProperty(
      fc.property(pricedLines, candidateLevels, (lines, levels) => {
        const result = allocateLines(lines, levels);
        if (!result.ok) return;
        const named = new Set(lines.flatMap((line) => (line.warehouseId === null ? [] : [pair(line.productId, line.warehouseId)])));
        const taken = new Map<string, number>();
        for (const line of result.lines) {
          const key = pair(line.productId, line.warehouseId);
          taken.set(key, (taken.get(key) ?? 0) + line.quantity);
        }
        for (const [key, quantity] of taken) {
          const level = levels.find((candidate) => pair(candidate.productId, candidate.warehouseId) === key);
          assert.ok(level, `allocated from ${key}, which is no candidate`);
          assert.ok(quantity <= level.available, `took ${quantity} of ${level.available} from ${key}`);
          assert.ok(level.active || named.has(key), `took from inactive ${key} unasked`);
        }
      }),
      1000,
    );
  });

  it('keeps every unit and every cent of the order: per product, quantities and line totals add up', function () {
    assertProperty(
      fc.property(pricedLines, candidateLevels, (lines, levels) => {
        const result = allocateLines(lines, levels);
        if (!result.ok) return;
        const sum = (of: readonly PricedLine[], field: 'quantity' | 'lineTotal', product: string) =>
          of.filter((line) => line.productId === product).reduce((total, line) => total + line[field], 0);
        for (const product of new Set(lines.map((line) => line.productId))) {
          assert.equal(sum(result.lines, 'quantity', product), sum(lines, 'quantity', product));
          assert.equal(sum(result.lines, 'lineTotal', product), sum(lines, 'lineTotal', product));
        }
        for (const line of result.lines) assert.equal(line.lineTotal, line.unitPrice * line.quantity);
      }),
      1000,
    );
  });
});
