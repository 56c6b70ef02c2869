import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appendEvent, appendEvents } from '../db/outbox';
import { deliveryOrderItems, deliveryOrders, orderItems, orders } from '../db/schema';
import { DomainError, type ErrorCode } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import { correlationIdOf } from './correlation';

export type DeliveryOrderStatus = 'reserved' | 'shipped' | 'delivered' | 'cancelled';

/** The one status each move starts from, and the refusal when the delivery order is elsewhere. */
const MOVES = {
  shipped: { from: 'reserved', refusal: 'DELIVERY_ORDER_NOT_SHIPPABLE', event: 'delivery_order.shipped' },
  delivered: { from: 'shipped', refusal: 'DELIVERY_ORDER_NOT_DELIVERABLE', event: 'delivery_order.delivered' },
} as const satisfies Record<string, { from: DeliveryOrderStatus; refusal: ErrorCode; event: string }>;

export function createDeliveryActivities(db: Db) {
  return {
    /**
     * One delivery order (status `reserved`) per warehouse of the order, addressed to the order's
     * shipping address. Idempotent; returns their ids.
     */
    async createDeliveryOrders(orderId: string): Promise<string[]> {
      return db.transaction(async (tx) => {
        const [order] = await tx
          .select({ id: orders.id, shipTo: orders.shippingAddress })
          .from(orders)
          .where(eq(orders.id, orderId));
        if (!order) throw toApplicationFailure(new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`));

        const lines = await tx
          .select({
            warehouseId: orderItems.warehouseId,
            productId: orderItems.productId,
            quantity: sql<number>`sum(${orderItems.quantity})::int`,
          })
          .from(orderItems)
          .where(eq(orderItems.orderId, orderId))
          .groupBy(orderItems.warehouseId, orderItems.productId)
          // Concurrent repeats insert in the same order, so they wait on each other, never deadlock.
          .orderBy(sql`${orderItems.warehouseId} COLLATE "C"`, orderItems.productId);
        const byWarehouse = new Map<string, typeof lines>();
        for (const line of lines) byWarehouse.set(line.warehouseId, [...(byWarehouse.get(line.warehouseId) ?? []), line]);

        for (const [warehouseId, items] of byWarehouse) {
          // The unique (order, warehouse) makes a repeat, even a concurrent one, insert nothing;
          // the items were written with the delivery order, in the same transaction.
          const [created] = await tx
            .insert(deliveryOrders)
            .values({ orderId, warehouseId, status: 'reserved' satisfies DeliveryOrderStatus, shipTo: order.shipTo })
            .onConflictDoNothing({ target: [deliveryOrders.orderId, deliveryOrders.warehouseId] })
            .returning({ id: deliveryOrders.id });
          if (!created) continue;
          await tx
            .insert(deliveryOrderItems)
            .values(items.map((item) => ({ deliveryOrderId: created.id, productId: item.productId, quantity: item.quantity })));
          await appendEvent(tx, {
            type: 'delivery_order.created',
            subject: orderId,
            correlationId: correlationIdOf(),
            data: {
              deliveryOrderId: created.id,
              orderId,
              warehouseId,
              status: 'reserved',
              shipTo: order.shipTo,
              items: items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
            },
          });
        }

        const created = await tx
          .select({ id: deliveryOrders.id })
          .from(deliveryOrders)
          .where(eq(deliveryOrders.orderId, orderId))
          .orderBy(sql`${deliveryOrders.warehouseId} COLLATE "C"`);
        return created.map((row) => row.id);
      });
    },

    /** Cancels the order's delivery orders that have not shipped. Idempotent. */
    async cancelDeliveryOrders(orderId: string): Promise<void> {
      await db.transaction(async (tx) => {
        // One conditional statement: a repeat matches nothing (and announces nothing), and a
        // delivery order the warehouse ships at the same moment is either shipped or cancelled, never both.
        const cancelled = await tx.execute<{ id: string; warehouse_id: string }>(sql`
          UPDATE delivery_orders
          SET status = ${'cancelled' satisfies DeliveryOrderStatus}, updated_at = now()
          WHERE order_id = ${orderId} AND status = ${'reserved' satisfies DeliveryOrderStatus}
          RETURNING id, warehouse_id`);
        const correlationId = correlationIdOf();
        await appendEvents(
          tx,
          cancelled.map((row) => ({
            type: 'delivery_order.cancelled' as const,
            subject: orderId,
            correlationId,
            data: {
              deliveryOrderId: row.id,
              orderId,
              warehouseId: row.warehouse_id,
              status: 'cancelled' as const,
              previousStatus: 'reserved' satisfies DeliveryOrderStatus,
            },
          })),
        );
      });
    },

    /** Moves a delivery order on (reserved → shipped → delivered). Idempotent. */
    async markDeliveryOrder(deliveryOrderId: string, status: 'shipped' | 'delivered'): Promise<void> {
      const move = MOVES[status];
      const moved = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(deliveryOrders)
          .set({ status, updatedAt: sql`now()` })
          .where(and(eq(deliveryOrders.id, deliveryOrderId), eq(deliveryOrders.status, move.from)))
          .returning({ orderId: deliveryOrders.orderId, warehouseId: deliveryOrders.warehouseId });
        if (!row) return false;
        await appendEvent(tx, {
          type: move.event,
          subject: row.orderId,
          correlationId: correlationIdOf(),
          data: { deliveryOrderId, orderId: row.orderId, warehouseId: row.warehouseId, status, previousStatus: move.from },
        });
        return true;
      });
      if (moved) return;

      const [current] = await db
        .select({ status: deliveryOrders.status })
        .from(deliveryOrders)
        .where(eq(deliveryOrders.id, deliveryOrderId));
      if (current?.status === status) return; // a repeat
      if (!current) {
        throw toApplicationFailure(
          new DomainError('DELIVERY_ORDER_NOT_FOUND', `delivery order ${deliveryOrderId} does not exist`),
        );
      }
      throw toApplicationFailure(
        new DomainError(move.refusal, `delivery order ${deliveryOrderId} is ${current.status}, not ${move.from}`, {
          status: current.status,
        }),
      );
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
