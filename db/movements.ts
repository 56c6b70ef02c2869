import { and, count, desc, eq } from 'drizzle-orm';
import type { MovementReason } from '../domain/stock';
import type { Db } from './client';
import { inventoryMovements } from './schema';

/** One ledger row of a level, as the movements endpoint shows it. */
export interface Movement {
  id: number;
  deltaOnHand: number;
  deltaReserved: number;
  reason: MovementReason;
  /** The admin's words for an adjustment; null otherwise. */
  note: string | null;
  orderId: string | null;
  /** The stock hold whose units moved; null otherwise. */
  holdId: string | null;
  at: Date;
}

export interface ListMovementsInput {
  productId: string;
  warehouseId: string;
  /** 1-based. */
  page: number;
  limit: number;
}

/** A page of a level's ledger, newest first, with how many rows the level has in all. */
export async function listMovements(db: Db, input: ListMovementsInput): Promise<{ items: Movement[]; total: number }> {
  const ofLevel = and(
    eq(inventoryMovements.productId, input.productId),
    eq(inventoryMovements.warehouseId, input.warehouseId),
  );
  // Both reads in one snapshot, so the total matches the page.
  return db.transaction(
    async (tx) => {
      const rows = await tx
        .select({
          id: inventoryMovements.id,
          deltaOnHand: inventoryMovements.deltaOnHand,
          deltaReserved: inventoryMovements.deltaReserved,
          reason: inventoryMovements.reason,
          note: inventoryMovements.note,
          orderId: inventoryMovements.orderId,
          holdId: inventoryMovements.holdId,
          at: inventoryMovements.createdAt,
        })
        .from(inventoryMovements)
        .where(ofLevel)
        // The id is the ledger's order: rows of one transaction share a created_at.
        .orderBy(desc(inventoryMovements.id))
        .limit(input.limit)
        .offset((input.page - 1) * input.limit);
      const [counted] = await tx.select({ total: count() }).from(inventoryMovements).where(ofLevel);
      return { items: rows.map((row) => ({ ...row, reason: row.reason as MovementReason })), total: counted?.total ?? 0 };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
