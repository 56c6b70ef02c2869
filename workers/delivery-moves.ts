import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import type { OrderSaga } from '../api/order-saga';
import type { Db } from '../db/client';
import { deliveryOrders } from '../db/schema';
import { DomainError } from '../domain/errors';

/**
 * How a delivery order is moved through its order's saga, as the ship/deliver endpoints do it:
 * each call resolves once the saga has applied the move and rejects with a Temporal failure (or
 * DomainError) carrying DELIVERY_ORDER_NOT_SHIPPABLE / _NOT_DELIVERABLE / _NOT_FOUND when the
 * saga refuses it. `updateId` makes a repeated call the same move.
 *
 * This is the shape of the saga's `ship`/`deliver` workflow updates; once the API's OrderSaga
 * has them, `const moves: DeliveryMoves = saga` replaces deliveryMovesOverSignals.
 */
export interface DeliveryMoves {
  ship(orderId: string, deliveryOrderId: string, options?: { updateId?: string }): Promise<void>;
  deliver(orderId: string, deliveryOrderId: string, options?: { updateId?: string }): Promise<void>;
}

const APPLIED_WAIT_MS = 10_000;
const APPLIED_POLL_MS = 100;

/**
 * DeliveryMoves over the saga's `shipped`/`delivered` signals: a signal only says the saga has
 * the report, so each call then waits (bounded) until the read model shows the move. A delivery
 * order that ends cancelled instead lost to a cancel: refused. One that shows neither in time
 * throws a plain Error, which callers treat as "try again later".
 */
export function deliveryMovesOverSignals(saga: Pick<OrderSaga, 'shipped' | 'delivered'>, db: Db): DeliveryMoves {
  async function applied(deliveryOrderId: string, status: 'shipped' | 'delivered', refusal: DomainError): Promise<void> {
    const deadline = Date.now() + APPLIED_WAIT_MS;
    for (;;) {
      const [row] = await db
        .select({ status: deliveryOrders.status })
        .from(deliveryOrders)
        .where(eq(deliveryOrders.id, deliveryOrderId));
      if (row?.status === status || (status === 'shipped' && row?.status === 'delivered')) return;
      if (row?.status === 'cancelled') throw refusal;
      if (Date.now() > deadline) throw new Error(`the saga has not applied ${status} for ${deliveryOrderId} yet`);
      await sleep(APPLIED_POLL_MS);
    }
  }
  return {
    async ship(orderId, deliveryOrderId) {
      await saga.shipped(orderId, deliveryOrderId);
      await applied(
        deliveryOrderId,
        'shipped',
        new DomainError('DELIVERY_ORDER_NOT_SHIPPABLE', `delivery order ${deliveryOrderId} was cancelled before it shipped`),
      );
    },
    async deliver(orderId, deliveryOrderId) {
      await saga.delivered(orderId, deliveryOrderId);
      await applied(
        deliveryOrderId,
        'delivered',
        new DomainError('DELIVERY_ORDER_NOT_DELIVERABLE', `delivery order ${deliveryOrderId} was cancelled`),
      );
    },
  };
}
