import { and, eq, sql } from 'drizzle-orm';
import { DomainError } from '../domain/errors';
import type { MovementReason } from '../domain/stock';
import type { Db } from './client';
import { inventoryLevels, inventoryMovements, products, warehouses } from './schema';

export type InventoryLevel = typeof inventoryLevels.$inferSelect;

export interface SetOnHandInput {
  productId: string;
  warehouseId: string;
  onHand: number;
  /** Left as it is when omitted (0 for a new level). */
  lowStockThreshold?: number;
}

/**
 * Sets a level's on-hand count (the admin's stock count), creating the level if needed. Refuses
 * to go below what is reserved, and writes the difference to the ledger as a `stock_set`
 * movement so the ledger's sums keep equalling the levels.
 */
export async function setOnHand(db: Db, input: SetOnHandInput): Promise<InventoryLevel> {
  const { productId, warehouseId, onHand } = input;
  if (!Number.isInteger(onHand) || onHand < 0) {
    throw new DomainError('VALIDATION_ERROR', 'onHand must be a whole number of at least 0', { onHand });
  }
  return db.transaction(async (tx) => {
    const [product] = await tx.select({ id: products.id }).from(products).where(eq(products.id, productId));
    if (!product) throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { productId });
    const [warehouse] = await tx
      .select({ id: warehouses.id })
      .from(warehouses)
      .where(eq(warehouses.id, warehouseId));
    if (!warehouse) throw new DomainError('NOT_FOUND', `warehouse ${warehouseId} does not exist`, { warehouseId });

    // A new level starts empty so the whole count goes through the ledger below.
    await tx.insert(inventoryLevels).values({ productId, warehouseId, onHand: 0, reserved: 0 }).onConflictDoNothing();
    const atLevel = and(eq(inventoryLevels.productId, productId), eq(inventoryLevels.warehouseId, warehouseId));
    const [current] = await tx.select().from(inventoryLevels).where(atLevel).for('update');
    if (!current) throw new Error(`inventory level ${productId}/${warehouseId} vanished while locked`);
    if (onHand < current.reserved) {
      throw new DomainError(
        'STOCK_BELOW_RESERVED',
        `onHand ${onHand} is below the ${current.reserved} units reserved for open orders`,
        { reserved: current.reserved },
      );
    }

    const [updated] = await tx
      .update(inventoryLevels)
      .set({
        onHand,
        lowStockThreshold: input.lowStockThreshold ?? current.lowStockThreshold,
        updatedAt: sql`now()`,
      })
      .where(atLevel)
      .returning();
    const delta = onHand - current.onHand;
    if (delta !== 0) {
      await tx.insert(inventoryMovements).values({
        productId,
        warehouseId,
        deltaOnHand: delta,
        deltaReserved: 0,
        reason: 'stock_set' satisfies MovementReason,
      });
    }
    return updated!;
  });
}
