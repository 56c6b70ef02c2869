import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { customers } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';

export function createCustomerActivities(db: Db) {
  return {
    /** An order may be placed only for a known, active customer: else CUSTOMER_NOT_ALLOWED. */
    async validateCustomer(customerId: string): Promise<void> {
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
