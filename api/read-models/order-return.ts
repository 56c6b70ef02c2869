import { asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { orderReturns, returnItems } from '../../db/schema';
import type { OrderReturnJson } from '../schemas/returns';

type OrderReturnRow = typeof orderReturns.$inferSelect;

export async function findOrderReturn(db: Db, returnId: string): Promise<OrderReturnJson | undefined> {
  const rows = await db.select().from(orderReturns).where(eq(orderReturns.id, returnId));
  return (await withItems(db, rows))[0];
}

/** The order's returns, oldest first. */
export async function listOrderReturns(db: Db, orderId: string): Promise<OrderReturnJson[]> {
  const rows = await db
    .select()
    .from(orderReturns)
    .where(eq(orderReturns.orderId, orderId))
    .orderBy(asc(orderReturns.createdAt), asc(orderReturns.id));
  return withItems(db, rows);
}

async function withItems(db: Db, rows: OrderReturnRow[]): Promise<OrderReturnJson[]> {
  if (rows.length === 0) return [];
  const items = await db
    .select()
    .from(returnItems)
    .where(
      inArray(
        returnItems.returnId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(asc(returnItems.productId), asc(returnItems.warehouseId));
  return rows.map((row) => ({
    id: row.id,
    orderId: row.orderId,
    items: items
      .filter((item) => item.returnId === row.id)
      .map(({ productId, warehouseId, quantity }) => ({ productId, warehouseId, quantity })),
    refundAmount: row.refundAmount,
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
  }));
}
