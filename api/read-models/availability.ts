import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inventoryLevels, warehouses } from '../../db/schema';
import type { Availability } from '../schemas/inventory';
import { catalogFor } from '../../db/catalog';
import { levelKey } from './inventory-level';

export interface AvailabilityQuestion {
  productId: string;
  warehouseId?: string | undefined;
  quantity: number;
}

/**
 * A read-only look at whether the items could be reserved now. Names the same refusals placing
 * an order would (unknown or inactive product / warehouse → 422). Lines for the same product and
 * warehouse (or the same product across all warehouses) are judged on their summed demand, since
 * that is what an order with those lines would need.
 */
export async function checkAvailability(db: Db, items: readonly AvailabilityQuestion[]): Promise<Availability> {
  await catalogFor(db, items);
  const productIds = [...new Set(items.map((i) => i.productId))];

  const levels = await db
    .select({
      productId: inventoryLevels.productId,
      warehouseId: inventoryLevels.warehouseId,
      available: sql<number>`greatest(${inventoryLevels.onHand} - ${inventoryLevels.reserved}, 0)::int`,
    })
    .from(inventoryLevels)
    .innerJoin(warehouses, and(eq(warehouses.id, inventoryLevels.warehouseId), eq(warehouses.active, true)))
    .where(inArray(inventoryLevels.productId, productIds));

  const availableAt = new Map<string, number>();
  for (const level of levels) {
    availableAt.set(levelKey(level), level.available);
    const anywhere = levelKey({ productId: level.productId, warehouseId: '' });
    availableAt.set(anywhere, (availableAt.get(anywhere) ?? 0) + level.available);
  }
  const keyOf = (i: AvailabilityQuestion) => levelKey({ productId: i.productId, warehouseId: i.warehouseId ?? '' });
  const demand = new Map<string, number>();
  for (const item of items) demand.set(keyOf(item), (demand.get(keyOf(item)) ?? 0) + item.quantity);

  const answers = items.map((item) => {
    const availableQuantity = availableAt.get(keyOf(item)) ?? 0;
    return {
      productId: item.productId,
      warehouseId: item.warehouseId ?? null,
      requestedQuantity: item.quantity,
      availableQuantity,
      available: availableQuantity >= demand.get(keyOf(item))!,
    };
  });
  return { available: answers.every((a) => a.available), items: answers };
}
