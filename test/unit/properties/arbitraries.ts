import fc from 'fast-check';

/** The largest price a product may have (int32) and the largest order the schemas allow: 100 lines of 10,000 units. */
export const LARGEST_PRICE = 2 ** 31 - 1;
export const LARGEST_ORDER_TOTAL = 100 * 10_000 * LARGEST_PRICE;

/**
 * Runs one property with the suite's run count. fast-check's failure message carries the seed
 * and the shrunk counterexample's path; FC_SEED (and FC_PATH) replay exactly that case, FC_RUNS
 * raises the count for a longer hunt.
 */
export function assertProperty<Ts>(property: fc.IRawProperty<Ts>, numRuns = 200): Promise<void> | void {
  return fc.assert(property, {
    numRuns: Number(process.env.FC_RUNS ?? numRuns),
    seed: process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED),
    path: process.env.FC_PATH,
  });
}

/** Ids from a tiny alphabet, so generated lines and levels often name the same product or warehouse. */
export const productId = fc.constantFrom('sku-a', 'sku-b', 'sku-c');
export const warehouseId = fc.constantFrom('wh-1', 'wh-2', 'wh-3', 'wh-4');
