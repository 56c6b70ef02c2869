import { and, eq, sql } from 'drizzle-orm';
import { DomainError } from '../domain/errors';
import { MAX_ON_HAND, type MovementReason } from '../domain/stock';
import { levelEvents } from '../domain/stock-events';
import type { Db, Tx } from './client';
import { appendEvents } from './outbox';
import { inventoryLevels, inventoryMovements, products, warehouses } from './schema';

export type InventoryLevel = typeof inventoryLevels.$inferSelect;


export interface SetOnHandInput {
  productId: string;
  warehouseId: string;
  onHand: number;
  /** Left as it is when omitted (0 for a new level). */
  lowStockThreshold?: number;
  /** The request that asked for it: the correlation id of the events the change writes. */
  correlationId?: string | null;
}

export interface AdjustOnHandInput {
  productId: string;
  warehouseId: string;
  /** Units found (+) or lost (-); never 0. */
  delta: number;
  /** Why, in the admin's words ("damaged"): kept as the movement's note. */
  reason: string;
  /** The request that asked for it: the correlation id of the events the change writes. */
  correlationId?: string | null;
}

/**
 * Sets a level's on-hand count (the admin's stock count), creating the level if needed. Refuses
 * to go below what is reserved or above MAX_ON_HAND (LIMIT_EXCEEDED), and writes the difference to the ledger as a `stock_set`
 * movement so the ledger's sums keep equalling the levels.
 */
export async function setOnHand(db: Db, input: SetOnHandInput): Promise<InventoryLevel> {
  const { productId, warehouseId, onHand } = input;
  if (!Number.isInteger(onHand) || onHand < 0) {
    throw new DomainError('VALIDATION_ERROR', 'onHand must be a whole number of at least 0', { onHand });
  }
  if (onHand > MAX_ON_HAND) {
    throw new DomainError('LIMIT_EXCEEDED', `onHand ${onHand} is above the largest count a level holds (${MAX_ON_HAND})`, {
      onHand,
      maxOnHand: MAX_ON_HAND,
    });
  }
  return db.transaction(async (tx) => {
    const current = await lockLevel(tx, productId, warehouseId);
    if (onHand < current.reserved) {
      throw new DomainError(
        'STOCK_BELOW_RESERVED',
        `onHand ${onHand} is below the ${current.reserved} units reserved for open orders`,
        { reserved: current.reserved },
      );
    }
    return writeLevel(tx, current, {
      onHand,
      lowStockThreshold: input.lowStockThreshold ?? current.lowStockThreshold,
      reason: 'stock_set',
      note: null,
      correlationId: input.correlationId ?? null,
    });
  });
}

/**
 * Moves a level's on-hand count by `delta` (damaged goods, a found carton), creating the level if
 * needed. Refuses to take on hand below what is reserved (STOCK_BELOW_RESERVED), so a held unit
 * is never written off, or above MAX_ON_HAND (LIMIT_EXCEEDED), so the sum never overflows the
 * column, and records an `adjustment` movement carrying the admin's reason.
 */
export async function adjustOnHand(db: Db, input: AdjustOnHandInput): Promise<InventoryLevel> {
  const { productId, warehouseId, delta } = input;
  if (!Number.isInteger(delta) || delta === 0) {
    throw new DomainError('VALIDATION_ERROR', 'delta must be a whole number other than 0', { delta });
  }
  return db.transaction(async (tx) => {
    const current = await lockLevel(tx, productId, warehouseId);
    const onHand = current.onHand + delta;
    if (onHand > MAX_ON_HAND) {
      throw new DomainError(
        'LIMIT_EXCEEDED',
        `adding ${delta} to ${current.onHand} on hand would pass the largest count a level holds (${MAX_ON_HAND})`,
        { onHand: current.onHand, delta, maxOnHand: MAX_ON_HAND },
      );
    }
    if (onHand < current.reserved) {
      throw new DomainError(
        'STOCK_BELOW_RESERVED',
        `taking ${-delta} off ${current.onHand} on hand would leave less than the ${current.reserved} units reserved`,
        { onHand: current.onHand, reserved: current.reserved, delta },
      );
    }
    return writeLevel(tx, current, {
      onHand,
      lowStockThreshold: current.lowStockThreshold,
      reason: 'adjustment',
      note: input.reason,
      correlationId: input.correlationId ?? null,
    });
  });
}

/** The level locked for this transaction, created empty if it did not exist; NOT_FOUND for an unknown product or warehouse. */
async function lockLevel(tx: Tx, productId: string, warehouseId: string): Promise<InventoryLevel> {
  const [product] = await tx.select({ id: products.id }).from(products).where(eq(products.id, productId));
  if (!product) throw new DomainError('NOT_FOUND', `product ${productId} does not exist`, { productId });
  const [warehouse] = await tx.select({ id: warehouses.id }).from(warehouses).where(eq(warehouses.id, warehouseId));
  if (!warehouse) throw new DomainError('NOT_FOUND', `warehouse ${warehouseId} does not exist`, { warehouseId });

  // A new level starts empty so the whole count goes through the ledger.
  await tx.insert(inventoryLevels).values({ productId, warehouseId, onHand: 0, reserved: 0 }).onConflictDoNothing();
  const [current] = await tx.select().from(inventoryLevels).where(atLevel(productId, warehouseId)).for('update');
  if (!current) throw new Error(`inventory level ${productId}/${warehouseId} vanished while locked`);
  return current;
}

/**
 * Writes the new count and, when it changed, the ledger row that keeps the sums equal to it; then
 * the events: inventory.adjusted for a changed count, and an alert for each line it (or a new
 * threshold) crossed on the way down.
 */
async function writeLevel(
  tx: Tx,
  current: InventoryLevel,
  next: {
    onHand: number;
    lowStockThreshold: number;
    reason: MovementReason;
    note: string | null;
    correlationId: string | null;
  },
): Promise<InventoryLevel> {
  const { productId, warehouseId } = current;
  const [updated] = await tx
    .update(inventoryLevels)
    .set({ onHand: next.onHand, lowStockThreshold: next.lowStockThreshold, updatedAt: sql`now()` })
    .where(atLevel(productId, warehouseId))
    .returning();
  const delta = next.onHand - current.onHand;
  if (delta !== 0) {
    await tx.insert(inventoryMovements).values({
      productId,
      warehouseId,
      deltaOnHand: delta,
      deltaReserved: 0,
      reason: next.reason,
      note: next.note,
    });
  }
  await appendEvents(
    tx,
    levelEvents(
      {
        type: 'inventory.adjusted',
        level: updated!,
        deltaOnHand: delta,
        deltaReserved: 0,
        reason: next.reason,
        orderId: null,
        note: next.note,
        lowStockThresholdBefore: current.lowStockThreshold,
      },
      next.correlationId,
    ),
  );
  return updated!;
}

function atLevel(productId: string, warehouseId: string) {
  return and(eq(inventoryLevels.productId, productId), eq(inventoryLevels.warehouseId, warehouseId));
}
