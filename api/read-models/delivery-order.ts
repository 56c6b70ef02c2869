import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { deliveryOrderItems, deliveryOrders } from '../../db/schema';
import type { Pagination } from '../pagination';
import type { DeliveryOrderJson, DeliveryOrderStatus } from '../schemas/delivery-orders';
import { newestFirstPage } from './newest-first-page';

export type DeliveryOrderRow = typeof deliveryOrders.$inferSelect;

export async function findDeliveryOrderRow(db: Db, id: string): Promise<DeliveryOrderRow | undefined> {
  const [row] = await db.select().from(deliveryOrders).where(eq(deliveryOrders.id, id));
  return row;
}

export async function deliveryOrderRowsOf(db: Db, orderId: string): Promise<DeliveryOrderRow[]> {
  return db
    .select()
    .from(deliveryOrders)
    .where(eq(deliveryOrders.orderId, orderId))
    .orderBy(asc(deliveryOrders.createdAt), asc(deliveryOrders.warehouseId));
}

export interface DeliveryOrderFilter {
  status?: DeliveryOrderStatus | undefined;
  warehouseId?: string | undefined;
}

/** One page of delivery orders, newest first, with the total matching the filter. */
export function listDeliveryOrderRows(
  db: Db,
  filter: DeliveryOrderFilter,
  page: Pagination,
): Promise<[DeliveryOrderRow[], number]> {
  const where = and(
    filter.status ? eq(deliveryOrders.status, filter.status) : undefined,
    filter.warehouseId ? eq(deliveryOrders.warehouseId, filter.warehouseId) : undefined,
  );
  return newestFirstPage(db, deliveryOrders, where, page);
}

/** The DeliveryOrder JSON of API.md for each row, items loaded in one query. */
export async function toDeliveryOrderJson(db: Db, rows: DeliveryOrderRow[]): Promise<DeliveryOrderJson[]> {
  if (rows.length === 0) return [];
  const items = await db
    .select()
    .from(deliveryOrderItems)
    .where(
      inArray(
        deliveryOrderItems.deliveryOrderId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(asc(deliveryOrderItems.productId));
  return rows.map((row) => ({
    id: row.id,
    orderId: row.orderId,
    warehouseId: row.warehouseId,
    status: row.status as DeliveryOrderStatus,
    shipTo: row.shipTo,
    items: items
      .filter((item) => item.deliveryOrderId === row.id)
      .map(({ productId, quantity }) => ({ productId, warehouseId: row.warehouseId, quantity })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}
