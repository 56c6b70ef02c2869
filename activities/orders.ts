import { ApplicationFailure } from '@temporalio/common';
import { and, eq, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { appendEvent } from '../db/outbox';
import { orders } from '../db/schema';
import { DomainError } from '../domain/errors';
import type { EventType, OrderStatusChangedData } from '../domain/events';
import { toApplicationFailure } from '../domain/failure';
import { CURRENCY, type OrderRequest, type OrderStatus } from '../domain/order';
import { statusWrite } from '../domain/order-status';
import { correlationIdOf } from './correlation';
import { sagaRunIdOf } from './saga-run';
import { moveReservations, RELEASE } from './stock-reservations';
import { releaseRedemption } from './vouchers';

/** The refused request as asked for (items are not stored: nothing was priced) and why it was refused. */
export interface RejectOrderInput extends OrderRequest {
  failure: { code: string; message: string; details?: unknown };
}

/**
 * The event each status the saga records announces. `awaiting_payment` is announced by
 * reserveStock (order.created), `rejected` by rejectOrder, and `returned` by each return
 * (order.returned, with everythingReturned).
 */
const STATUS_EVENTS = {
  confirmed: 'order.confirmed',
  cancelled: 'order.cancelled',
  expired: 'order.expired',
  shipped: 'order.shipped',
  delivered: 'order.delivered',
} as const satisfies Record<OrderStatusChangedData['status'], EventType>;

function isAnnounced(status: OrderStatus): status is keyof typeof STATUS_EVENTS {
  return Object.prototype.hasOwnProperty.call(STATUS_EVENTS, status);
}

export function createOrderActivities(db: Db) {
  return {
    /** Records an order that could not be placed, so a repeated request gets the same answer. */
    async rejectOrder(input: RejectOrderInput): Promise<void> {
      await db.transaction((tx) => recordRejection(tx, input));
    },

    /**
     * A refused placing settled in one step (`local-refusal`): gives back what the placing took
     * (the order's active holds, its voucher redemption) and records the rejection, in one
     * transaction, so they happen together or not at all. A repeat finds the rejection written
     * and does nothing; so does a call over an order that another saga run placed.
     */
    async rejectPlacement(input: RejectOrderInput): Promise<void> {
      await db.transaction(async (tx) => {
        if (!(await recordRejection(tx, input))) return;
        await moveReservations(tx, { orderId: input.orderId }, RELEASE);
        await releaseRedemption(tx, input.orderId);
      });
    },

    /**
     * Keeps the read model's status current, forwards only (domain/order-status.ts), and announces
     * the change in the same transaction. A repeat of the current status changes (and announces)
     * nothing; any other move is refused with a non-retryable OrderStatusConflict that changes
     * nothing either, so a stale saga can never turn a delivered order into an expired one.
     */
    async setOrderStatus(orderId: string, status: OrderStatus, cancelReason: string | null = null): Promise<void> {
      await db.transaction(async (tx) => {
        const before = await lockedStatus(tx, orderId);
        if (!before) throw toApplicationFailure(new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`));
        const write = statusWrite(before.status, status);
        if (write === 'repeat') return;
        if (write === 'refused') {
          throw ApplicationFailure.create({
            type: 'OrderStatusConflict',
            message: `order ${orderId} is ${before.status}; it cannot become ${status}`,
            details: [{ orderId, from: before.status, to: status }],
            nonRetryable: true,
          });
        }
        await moveStatus(tx, orderId, before.status, status, cancelReason);
      });
    },

    /**
     * A saga that failed before its placing finished: if this run's reservation did commit (its
     * answer lost, or a repeated workflow task), the order row it wrote is cancelled with
     * `reason`, so no order is left awaiting a payment nobody can take. Nothing when there is no
     * such row. The stock itself goes back through the saga's release compensation.
     */
    async cancelUnfinishedPlacement(orderId: string, reason: string): Promise<void> {
      const runId = sagaRunIdOf();
      if (runId === null) return;
      await db.transaction(async (tx) => {
        const before = await lockedStatus(tx, orderId);
        if (before?.status !== 'awaiting_payment' || before.placedByRun !== runId) return;
        await moveStatus(tx, orderId, before.status, 'cancelled', reason);
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;


/**
 * Writes the rejected order row and announces it; false when nothing was written. Nothing was
 * reserved or priced, so the row carries no items and zero totals, and it records the run that
 * refused it (a repeat of that run's placing steps is its own, see validateCustomer). A row that
 * already moved past `pending` is left alone: a repeat must not rewrite history (nor announce it
 * again). The one exception is this run's own reservation, made by an earlier attempt of placing
 * steps that a lost workflow task repeated: the order it refuses must not stay payable.
 */
async function recordRejection(tx: Tx, input: RejectOrderInput): Promise<boolean> {
  const { code, message, details } = input.failure;
  const rejection = details === undefined ? { code, message } : { code, message, details };
  const runId = sagaRunIdOf();
  const ownReservation =
    runId === null ? sql`false` : and(eq(orders.status, 'awaiting_payment' satisfies OrderStatus), eq(orders.placedByRun, runId));
  const rejected = await tx
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
      placedByRun: runId,
    })
    .onConflictDoUpdate({
      target: orders.id,
      set: { status: 'rejected', rejection, updatedAt: sql`now()` },
      setWhere: or(eq(orders.status, 'pending' satisfies OrderStatus), ownReservation),
    })
    .returning({ id: orders.id });
  if (rejected.length === 0) return false;
  await appendEvent(tx, {
    type: 'order.rejected',
    subject: input.orderId,
    correlationId: correlationIdOf(),
    data: { orderId: input.orderId, customerId: input.customerId, status: 'rejected', code, message },
  });
  return true;
}

/** The order's status and placing run, locked, so what it was is what a change in this transaction changes. */
async function lockedStatus(tx: Tx, orderId: string): Promise<{ status: OrderStatus; placedByRun: string | null } | undefined> {
  const [row] = await tx.execute<{ status: OrderStatus; placed_by_run: string | null }>(sql`
    SELECT status, placed_by_run FROM orders WHERE id = ${orderId} FOR NO KEY UPDATE`);
  return row && { status: row.status, placedByRun: row.placed_by_run };
}

/** Writes a status move already judged allowed, and announces it in the same transaction. */
async function moveStatus(tx: Tx, orderId: string, from: OrderStatus, status: OrderStatus, cancelReason: string | null): Promise<void> {
  // delivered_at is set once, when the order becomes delivered: the return window runs from it.
  const [changed] = await tx.execute<{ customer_id: string; total: number; currency: string; cancel_reason: string | null }>(sql`
    UPDATE orders
    SET status = ${status}, cancel_reason = coalesce(${cancelReason}, cancel_reason), updated_at = now(),
        delivered_at = CASE WHEN ${status} = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END
    WHERE id = ${orderId}
    RETURNING customer_id, total, currency, cancel_reason`);
  if (!changed || !isAnnounced(status)) return;
  await appendEvent(tx, {
    type: STATUS_EVENTS[status],
    subject: orderId,
    correlationId: correlationIdOf(),
    data: {
      orderId,
      customerId: changed.customer_id,
      status,
      previousStatus: from,
      total: Number(changed.total),
      currency: changed.currency,
      cancelReason: status === 'cancelled' ? changed.cancel_reason : null,
    },
  });
}
