import { ApplicationFailure } from '@temporalio/common';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import { CURRENCY, type OrderRequest, type OrderStatus } from '../domain/order';
import { ORDER_STATUS_SOURCES, statusWrite } from '../domain/order-status';

/** The refused request as asked for (items are not stored: nothing was priced) and why it was refused. */
export interface RejectOrderInput extends OrderRequest {
  failure: { code: string; message: string; details?: unknown };
}

export function createOrderActivities(db: Db) {
  return {
    /** Records an order that could not be placed, so a repeated request gets the same answer. */
    async rejectOrder(input: RejectOrderInput): Promise<void> {
      const { code, message, details } = input.failure;
      const rejection = details === undefined ? { code, message } : { code, message, details };
      // Nothing was reserved or priced, so the row carries no items and zero totals. A row that
      // already moved past `pending` is left alone: a repeat must not rewrite history.
      await db
        .insert(orders)
        .values({
          id: input.orderId,
          customerId: input.customerId,
          status: 'rejected' satisfies OrderStatus,
          subtotal: 0,
          discount: 0,
          total: 0,
          currency: CURRENCY,
          shippingAddress: input.shippingAddress,
          voucherCode: input.voucherCode,
          rejection,
          requestHash: input.requestHash,
        })
        .onConflictDoUpdate({
          target: orders.id,
          set: { status: 'rejected', rejection, updatedAt: sql`now()` },
          setWhere: eq(orders.status, 'pending' satisfies OrderStatus),
        });
    },

    /**
     * Keeps the read model's status current, forwards only (domain/order-status.ts): a repeat of
     * the current status changes nothing, and any other move is refused with a non-retryable
     * OrderStatusConflict that changes nothing either, so a stale saga can never turn a
     * delivered order into an expired one.
     */
    async setOrderStatus(orderId: string, status: OrderStatus, cancelReason: string | null = null): Promise<void> {
      const sources = ORDER_STATUS_SOURCES[status];
      // One conditional statement: of racing writes, each sees the status the last one left.
      // delivered_at is set once, when the order becomes delivered: the return window runs from it.
      const changed =
        sources.length === 0
          ? []
          : await db.execute(sql`
              UPDATE orders
              SET status = ${status}, cancel_reason = coalesce(${cancelReason}, cancel_reason), updated_at = now(),
                  delivered_at = CASE WHEN ${status} = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END
              WHERE id = ${orderId} AND status IN (${sql.join(sources.map((from) => sql`${from}`), sql`, `)})
              RETURNING id`);
      if (changed.length > 0) return;

      const [order] = await db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
      if (!order) throw toApplicationFailure(new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`));
      const current = order.status as OrderStatus;
      if (statusWrite(current, status) === 'repeat') return;
      throw ApplicationFailure.create({
        type: 'OrderStatusConflict',
        message: `order ${orderId} is ${current}; it cannot become ${status}`,
        details: [{ orderId, from: current, to: status }],
        nonRetryable: true,
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
