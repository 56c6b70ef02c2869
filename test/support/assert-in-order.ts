import assert from 'node:assert/strict';

/** Asserts `expected` appear in `actual` in this order; other entries may stand between them. */
export function assertInOrder(actual: readonly string[], expected: readonly string[]): void {
  let from = 0;
  for (const item of expected) {
    const at = actual.indexOf(item, from);
    assert.ok(at >= 0, `expected ${item} after position ${from} in\n  ${actual.join('\n  ')}`);
    from = at + 1;
  }
}
