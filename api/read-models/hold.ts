import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { stockHolds, stockReservations } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import type { HoldStatus } from '../../domain/holds';
import type { Principal } from '../auth/principal';
import type { StockHoldJson } from '../schemas/holds';

export type HoldRow = typeof stockHolds.$inferSelect;

export async function findHoldRow(db: Db, holdId: string): Promise<HoldRow | undefined> {
  const [row] = await db.select().from(stockHolds).where(eq(stockHolds.id, holdId));
  return row;
}

/**
 * The hold, if the caller may see it: customers see only their own, so another customer's hold
 * answers 404 as one that does not exist would (its id says nothing about anyone's cart).
 */
export async function findVisibleHold(db: Db, principal: Principal, holdId: string): Promise<HoldRow> {
  const row = await findHoldRow(db, holdId);
  if (!row || (principal.role === 'customer' && principal.subject !== row.customerId)) {
    throw new DomainError('NOT_FOUND', `stock hold ${holdId} does not exist`);
  }
  return row;
}

/** The hold as the API shows it, its items read from its reservation rows. */
export async function toHoldJson(db: Db, row: HoldRow): Promise<StockHoldJson> {
  const lines = await db
    .select({ productId: stockReservations.productId, warehouseId: stockReservations.warehouseId, quantity: stockReservations.quantity })
    .from(stockReservations)
    .where(eq(stockReservations.holdId, row.id))
    .orderBy(asc(stockReservations.productId), asc(stockReservations.warehouseId));
  const status = row.status as HoldStatus;
  return {
    reservationId: row.id,
    customerId: row.customerId,
    status,
    items: lines.map((line) => ({ ...line, reserved: status === 'active' })),
    expiresAt: row.expiresAt.toISOString(),
    maxExpiresAt: row.maxExpiresAt.toISOString(),
    extensions: row.extensions,
    metadata: row.metadata as Record<string, unknown>,
    ...(row.convertedOrderId === null ? {} : { orderId: row.convertedOrderId }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
