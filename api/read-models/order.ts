import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { deliveryOrders, orderItems, orders, stockReservations } from '../../db/schema';
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import { ensureOwnOrder } from '../auth/ownership';
import type { Principal } from '../auth/principal';
import type { OrderStatus } from '../../domain/order';
import type { ReservationStatus } from '../../domain/stock';
import { workflowIdFor } from '../../domain/order';
import type { Pagination } from '../pagination';
import type { OrderJson, ReservationJson } from '../schemas/orders';
import { newestFirstPage } from './newest-first-page';

export type OrderRow = typeof orders.$inferSelect;
export type OrderLinks = (orderId: string) => OrderJson['links'];

/** Where an order lives in this API and where support finds its saga in the Temporal Web UI. */
export function orderLinks(config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>): OrderLinks {
  const ui = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const namespace = encodeURIComponent(config.TEMPORAL_NAMESPACE);
  return (orderId) => ({
    self: `/api/v1/orders/${orderId}`,
    temporalUi: `${ui}/namespaces/${namespace}/workflows/${workflowIdFor(orderId)}`,
  });
}

export async function findOrderRow(db: Db, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

/** The order, if the caller may see it: 404 ORDER_NOT_FOUND, or 403 for another customer's. */
/** What findVisibleOrder refuses with: no such order, or another customer's. */
export const VISIBLE_ORDER_ERRORS = ['ORDER_NOT_FOUND', 'FORBIDDEN'] as const;

export async function findVisibleOrder(db: Db, principal: Principal, orderId: string): Promise<OrderRow> {
  const row = await findOrderRow(db, orderId);
  if (!row) throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
  ensureOwnOrder(principal, row.customerId);
  return row;
}

export interface OrderFilter {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
}

/** One page of orders, newest first, with the total matching the filter. */
export function listOrderRows(db: Db, filter: OrderFilter, page: Pagination): Promise<[OrderRow[], number]> {
  const where = and(
    filter.customerId ? eq(orders.customerId, filter.customerId) : undefined,
    filter.status ? eq(orders.status, filter.status) : undefined,
  );
  return newestFirstPage(db, orders, where, page);
}

/** The Order JSON of API.md for each row, with items and delivery order ids loaded in two queries. */
export async function toOrderJson(db: Db, rows: OrderRow[], links: OrderLinks): Promise<OrderJson[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [items, deliveries] = await Promise.all([
    db.select().from(orderItems).where(inArray(orderItems.orderId, ids)).orderBy(asc(orderItems.lineNo)),
    db
      .select({ id: deliveryOrders.id, orderId: deliveryOrders.orderId })
      .from(deliveryOrders)
      .where(inArray(deliveryOrders.orderId, ids))
      .orderBy(asc(deliveryOrders.createdAt), asc(deliveryOrders.warehouseId)),
  ]);
  return rows.map((row) => ({
    id: row.id,
    customerId: row.customerId,
    status: row.status as OrderStatus,
    items: items
      .filter((item) => item.orderId === row.id)
      .map(({ productId, warehouseId, quantity, unitPrice, lineTotal }) => ({
        productId,
        warehouseId,
        quantity,
        unitPrice,
        lineTotal,
      })),
    subtotal: row.subtotal,
    discount: row.discount,
    total: row.total,
    currency: row.currency,
    shippingAddress: row.shippingAddress,
    voucherCode: row.voucherCode,
    reservationExpiresAt: row.reservationExpiresAt?.toISOString() ?? null,
    deliveryOrderIds: deliveries.filter((d) => d.orderId === row.id).map((d) => d.id),
    cancelReason: row.cancelReason,
    rejection: (row.rejection as OrderJson['rejection']) ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    links: links(row.id),
  }));
}

export async function findReservations(db: Db, orderId: string): Promise<ReservationJson[]> {
  const rows = await db
    .select()
    .from(stockReservations)
    .where(eq(stockReservations.orderId, orderId))
    .orderBy(asc(stockReservations.productId), asc(stockReservations.warehouseId));
  return rows.map((row) => ({
    id: row.id,
    productId: row.productId,
    warehouseId: row.warehouseId,
    quantity: row.quantity,
    status: row.status as ReservationStatus,
    expiresAt: row.expiresAt.toISOString(),
    ...(row.holdId === null ? {} : { holdId: row.holdId }),
  }));
}
