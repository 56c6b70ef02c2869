import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { payments } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import type { PaymentProvider } from './payment-provider';

export interface ChargePaymentInput {
  orderId: string;
  amount: number;
  currency: string;
  paymentToken: string | null;
  /** Stable across retries of one attempt: the provider charges at most once per key. */
  idempotencyKey: string;
}

export interface Payment {
  paymentId: string;
  status: 'succeeded';
}

export function createPaymentActivities(db: Db, provider: PaymentProvider) {
  return {
    /** Charges once per idempotency key; a decline is a non-retryable PAYMENT_DECLINED. */
    async chargePayment(input: ChargePaymentInput): Promise<Payment> {
      const { idempotencyKey } = input;
      // The row is written before the provider is called, so a retry after a crash finds the
      // key and the provider (idempotent per key) answers it without charging again.
      await db
        .insert(payments)
        .values({
          orderId: input.orderId,
          idempotencyKey,
          amount: input.amount,
          currency: input.currency,
          status: 'pending',
        })
        .onConflictDoNothing({ target: payments.idempotencyKey });
      const [payment] = await db.select().from(payments).where(eq(payments.idempotencyKey, idempotencyKey));
      if (!payment) throw new Error(`payment ${idempotencyKey} vanished after it was written`);

      if (payment.status === 'succeeded') return { paymentId: payment.id, status: 'succeeded' };
      if (payment.status === 'declined') throw declined(payment.declineCode);
      if (payment.status !== 'pending') {
        throw ApplicationFailure.nonRetryable(`payment ${idempotencyKey} is already ${payment.status}`, 'PaymentClosed');
      }

      const result = await provider.charge(
        { amount: payment.amount, currency: payment.currency, paymentToken: input.paymentToken, idempotencyKey },
        attemptSignal(),
      );
      const stillPending = and(eq(payments.id, payment.id), eq(payments.status, 'pending'));
      if (result.status === 'succeeded') {
        await db
          .update(payments)
          .set({ status: 'succeeded', providerRef: result.providerRef, updatedAt: sql`now()` })
          .where(stillPending);
        return { paymentId: payment.id, status: 'succeeded' };
      }
      await db
        .update(payments)
        .set({ status: 'declined', declineCode: result.declineCode, updatedAt: sql`now()` })
        .where(stillPending);
      throw declined(result.declineCode);
    },

    /** Refunds every succeeded, not yet refunded payment of the order. Idempotent. */
    async refundPayment(orderId: string): Promise<void> {
      const taken = await db
        .select({ id: payments.id, providerRef: payments.providerRef, amount: payments.amount })
        .from(payments)
        .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded'), isNull(payments.refundedAt)));
      for (const payment of taken) {
        // Refunds are idempotent per charge at the provider, so a crash between the call and
        // the update below only repeats a refund that changes nothing.
        await provider.refund(payment.providerRef!, payment.amount);
        await db
          .update(payments)
          .set({ status: 'refunded', refundedAt: sql`now()`, updatedAt: sql`now()` })
          .where(and(eq(payments.id, payment.id), eq(payments.status, 'succeeded')));
      }
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

/**
 * Aborts when the attempt is cancelled or its start-to-close time is up. Without heartbeats the
 * worker hears of a timed-out attempt only when it ends, so the call carries its own deadline:
 * a provider that never answers frees the slot, and the retry asks again with the same key.
 */
function attemptSignal(): AbortSignal {
  const { cancellationSignal, info } = Context.current();
  const deadlineMs = info.startToCloseTimeoutMs;
  return deadlineMs > 0 ? AbortSignal.any([cancellationSignal, AbortSignal.timeout(deadlineMs)]) : cancellationSignal;
}

function declined(declineCode: string | null): ApplicationFailure {
  return toApplicationFailure(
    new DomainError('PAYMENT_DECLINED', 'the payment provider declined the payment', { declineCode }),
  );
}
