// What the bench sells: a wide catalogue with stock to spare for the placement passes, one
// product of 100 units for the flash sale, and a few scarce products the mixed run fights over.
import { randomInt } from 'node:crypto';
import type { OrderLine, ShopClient, Shopper } from './shop-client';

export const WAREHOUSE = 'wh-bench';
const SPREAD_SKUS = 500;
const SPREAD_ON_HAND = 1_000_000;
export const FLASH_UNITS = 100;
/** Scarce enough that the mixed run's shoppers run some of them out (and get 409s). */
const MIXED_SKUS = 10;
export const MIXED_ON_HAND = 15;
const SEED_CONCURRENCY = 10;

export interface BenchCatalog {
  spread: string[];
  flash: string;
  mixed: string[];
}

/** Runs `tasks` `concurrency` at a time. */
async function inBatches(tasks: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/** Seeds through the admin API, so it works against any deployment (BENCH_URL too). */
export async function seedCatalog(shop: ShopClient, shoppers: Shopper[], tag: string): Promise<BenchCatalog> {
  const sku = (kind: string, n: number) => `bench-${tag}-${kind}-${String(n).padStart(3, '0')}`;
  const catalog: BenchCatalog = {
    spread: Array.from({ length: SPREAD_SKUS }, (_, n) => sku('spread', n)),
    flash: sku('flash', 0),
    mixed: Array.from({ length: MIXED_SKUS }, (_, n) => sku('mixed', n)),
  };
  await shop.putWarehouse(WAREHOUSE);
  const stocked = (id: string, onHand: number) => async () => {
    await shop.putProduct(id, 500 + randomInt(5000));
    await shop.putStock(id, WAREHOUSE, onHand);
  };
  const customers = [...new Set(shoppers.map((s) => s.customerId))];
  await inBatches(
    [
      ...catalog.spread.map((id) => stocked(id, SPREAD_ON_HAND)),
      stocked(catalog.flash, FLASH_UNITS),
      ...catalog.mixed.map((id) => stocked(id, MIXED_ON_HAND)),
      ...customers.map((id) => () => shop.putCustomer(id)),
    ],
    SEED_CONCURRENCY,
  );
  return catalog;
}

/** A cart of 1 to `maxLines` different products from `skus`, 1 to `maxQuantity` of each. */
export function randomCart(skus: readonly string[], maxLines: number, maxQuantity: number): OrderLine[] {
  const lines = new Map<string, number>();
  const count = 1 + randomInt(maxLines);
  while (lines.size < Math.min(count, skus.length)) lines.set(skus[randomInt(skus.length)]!, 1 + randomInt(maxQuantity));
  return [...lines].map(([productId, quantity]) => ({ productId, quantity }));
}
