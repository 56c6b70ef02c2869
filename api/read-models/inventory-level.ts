import { and, eq, or } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { InventoryLevel } from '../../db/inventory-levels';
import { inventoryLevels } from '../../db/schema';
import type { InventoryLevelJson } from '../schemas/inventory';

export interface LevelKey {
  productId: string;
  warehouseId: string;
}

export function toInventoryLevelJson(row: InventoryLevel): InventoryLevelJson {
  const available = Math.max(0, row.onHand - row.reserved);
  return {
    productId: row.productId,
    warehouseId: row.warehouseId,
    onHand: row.onHand,
    reserved: row.reserved,
    available,
    lowStockThreshold: row.lowStockThreshold,
    lowStock: available <= row.lowStockThreshold,
    outOfStock: available === 0,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The levels that exist among `keys`, in the order asked for (each pair once). */
export async function findLevels(db: Db, keys: readonly LevelKey[]): Promise<InventoryLevel[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .select()
    .from(inventoryLevels)
    .where(
      or(
        ...keys.map((k) =>
          and(eq(inventoryLevels.productId, k.productId), eq(inventoryLevels.warehouseId, k.warehouseId)),
        ),
      ),
    );
  const byKey = new Map(rows.map((row) => [levelKey(row), row]));
  const ordered = new Map<string, InventoryLevel>();
  for (const key of keys) {
    const row = byKey.get(levelKey(key));
    if (row) ordered.set(levelKey(key), row);
  }
  return [...ordered.values()];
}

export function levelKey({ productId, warehouseId }: LevelKey): string {
  return JSON.stringify([productId, warehouseId]);
}
