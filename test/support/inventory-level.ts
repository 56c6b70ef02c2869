import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inventoryLevels } from '../../db/schema';

/** A level's on-hand and reserved counts as stored (undefined when the level does not exist). */
export async function levelOf(db: Db, pair: { productId: string; warehouseId: string }) {
  const [level] = await db
    .select({ onHand: inventoryLevels.onHand, reserved: inventoryLevels.reserved })
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.productId, pair.productId), eq(inventoryLevels.warehouseId, pair.warehouseId)));
  return level;
}
