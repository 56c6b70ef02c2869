import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { customers, orders } from '../db/schema';
import { ORDER_ALREADY_PLACED } from '../domain/order';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import { sagaRunIdOf } from './saga-run';

export function createCustomerActivities(db: Db) {
  return {
    /**
     * An order may be placed only for a known, active customer: else CUSTOMER_NOT_ALLOWED. With
     * `orderId`, also only once: when that order already has a row placed by another saga run,
     * the saga asking is a stale second one over an order placed before (its own saga's history
     * may be long gone), and is refused with a non-retryable OrderAlreadyPlaced before it touches
     * anything. A row of this very run is its own earlier attempt (local placing steps repeat
     * when a workflow task is lost) and lets the placing go on.
     */
    async validateCustomer(customerId: string, orderId?: string): Promise<void> {
      if (orderId !== undefined) {
        const [placed] = await db
          .select({ status: orders.status, placedByRun: orders.placedByRun })
          .from(orders)
          .where(eq(orders.id, orderId));
        const runId = sagaRunIdOf();
        if (placed && (runId === null || placed.placedByRun !== runId)) {
          throw ApplicationFailure.create({
            type: ORDER_ALREADY_PLACED,
            message: `order ${orderId} was already placed (it is ${placed.status}); a second saga may not place it again`,
            details: [{ orderId, status: placed.status }],
            nonRetryable: true,
          });
        }
      }
      const [customer] = await db
        .select({ status: customers.status })
        .from(customers)
        .where(eq(customers.id, customerId));
      if (customer?.status === 'active') return;
      const reason = customer ? customer.status : 'unknown';
      throw toApplicationFailure(
        new DomainError('CUSTOMER_NOT_ALLOWED', `customer ${customerId} may not place orders (${reason})`, {
          customerId,
          reason,
        }),
      );
    },
  };
}

export type CustomerActivities = ReturnType<typeof createCustomerActivities>;
