import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { payments, refunds } from '../../db/schema';
import type { OrderPaymentJson } from '../schemas/payments';

/**
 * The money side of an order, oldest first: each charge with its status, and each refund (in its
 * charge's currency). Read in one snapshot, so a refund never shows without its charge.
 */
export async function listOrderPayments(db: Db, orderId: string): Promise<OrderPaymentJson[]> {
  const [charges, given] = await db.transaction(
    (tx) =>
      Promise.all([
        tx.select().from(payments).where(eq(payments.orderId, orderId)),
        tx
          .select({
            id: refunds.id,
            amount: refunds.amount,
            currency: payments.currency,
            status: refunds.status,
            createdAt: refunds.createdAt,
            updatedAt: refunds.updatedAt,
          })
          .from(refunds)
          .innerJoin(payments, eq(payments.id, refunds.paymentId))
          .where(eq(refunds.orderId, orderId))
          .orderBy(asc(refunds.createdAt)),
      ]),
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  const entries = [
    ...charges.map((row) => ({ ...row, kind: 'charge' as const })),
    ...given.map((row) => ({ ...row, kind: 'refund' as const })),
  ];
  // A charge before the refunds recorded in the same instant; then by id, so the order is stable.
  entries.sort(
    (a, b) =>
      a.createdAt.getTime() - b.createdAt.getTime() ||
      (a.kind === b.kind ? 0 : a.kind === 'charge' ? -1 : 1) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return entries.map((entry) => ({
    id: entry.id,
    kind: entry.kind,
    amount: entry.amount,
    currency: entry.currency,
    status: entry.status,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  }));
}
