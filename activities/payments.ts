import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { payments, refunds } from '../db/schema';
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

    /**
     * Refunds part of what the order paid (a return), once per idempotency key. Never more than
     * is left of the payment: the amount is capped, and nothing left means nothing to do.
     */
    async refundPartial(input: { orderId: string; amount: number; idempotencyKey: string }): Promise<void> {
      if (!Number.isInteger(input.amount)) {
        throw ApplicationFailure.nonRetryable(`refund amount ${input.amount} is not a whole minor unit`, 'InvalidRefund');
      }
      const refund = await recordRefund(db, input.orderId, input.idempotencyKey, { amount: input.amount });
      if (refund) await giveBack(db, provider, refund);
    },

    /** Refunds whatever each succeeded payment of the order has not yet given back. Idempotent. */
    async refundPayment(orderId: string): Promise<void> {
      const taken = await db
        .select({ id: payments.id, idempotencyKey: payments.idempotencyKey })
        .from(payments)
        .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded')));
      for (const payment of taken) {
        const refund = await recordRefund(db, orderId, `${payment.idempotencyKey}:refund`, { paymentId: payment.id });
        if (refund) await giveBack(db, provider, refund);
        else await markIfFullyRefunded(db, payment.id); // partial refunds may already have given everything back
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

/** A refund as recorded: what the provider is asked to give back, under the row's key. */
interface RecordedRefund {
  paymentId: string;
  providerRef: string;
  amount: number;
  idempotencyKey: string;
}

/**
 * Writes the refund row for this key before the provider is called (as chargePayment does), so a
 * retry after a crash finds the row and repeats the same call under the same key. The order's
 * payments are locked first, so concurrent refunds never give back more than was paid together.
 * The refund lands on the given payment (else the first with something left) and takes `amount`
 * (else all it has left), capped at what it has left. Null when there is nothing left to refund.
 */
async function recordRefund(
  db: Db,
  orderId: string,
  idempotencyKey: string,
  wanted: { paymentId?: string; amount?: number },
): Promise<RecordedRefund | null> {
  return db.transaction(async (tx) => {
    const paid = await tx
      .select({ id: payments.id, providerRef: payments.providerRef, amount: payments.amount, status: payments.status })
      .from(payments)
      .where(and(eq(payments.orderId, orderId), inArray(payments.status, ['succeeded', 'refunded'])))
      .orderBy(payments.createdAt, payments.id)
      .for('update');
    const byId = new Map(paid.map((payment) => [payment.id, payment]));

    const [recorded] = await tx.select().from(refunds).where(eq(refunds.idempotencyKey, idempotencyKey));
    if (recorded) {
      const payment = byId.get(recorded.paymentId);
      if (!payment?.providerRef || recorded.orderId !== orderId) {
        throw ApplicationFailure.nonRetryable(`refund key ${idempotencyKey} belongs to another order`, 'RefundKeyReused');
      }
      return { paymentId: recorded.paymentId, providerRef: payment.providerRef, amount: recorded.amount, idempotencyKey };
    }

    const given = await tx
      .select({ paymentId: refunds.paymentId, amount: sql<number>`sum(${refunds.amount})::bigint` })
      .from(refunds)
      .where(eq(refunds.orderId, orderId))
      .groupBy(refunds.paymentId);
    const givenOf = new Map(given.map((row) => [row.paymentId, row.amount]));
    const remaining = new Map(
      paid.filter((p) => p.status === 'succeeded').map((p) => [p.id, p.amount - (givenOf.get(p.id) ?? 0)]),
    );
    const payment = paid.find((p) => (wanted.paymentId ? p.id === wanted.paymentId : (remaining.get(p.id) ?? 0) > 0));
    const left = payment ? (remaining.get(payment.id) ?? 0) : 0;
    const amount = Math.min(wanted.amount ?? left, left);
    if (!payment?.providerRef || amount <= 0) return null;

    await tx.insert(refunds).values({ paymentId: payment.id, orderId, idempotencyKey, amount });
    return { paymentId: payment.id, providerRef: payment.providerRef, amount, idempotencyKey };
  });
}

/** Asks the provider (idempotent per key) for the recorded refund, then closes a fully refunded payment. */
async function giveBack(db: Db, provider: PaymentProvider, refund: RecordedRefund): Promise<void> {
  await provider.refund(refund.providerRef, refund.amount, refund.idempotencyKey);
  await markIfFullyRefunded(db, refund.paymentId);
}

async function markIfFullyRefunded(db: Db, paymentId: string): Promise<void> {
  await db.execute(sql`
    UPDATE payments
    SET status = 'refunded', refunded_at = now(), updated_at = now()
    WHERE id = ${paymentId} AND status = 'succeeded'
      AND amount <= (SELECT coalesce(sum(amount), 0) FROM refunds WHERE payment_id = ${paymentId})`);
}

function declined(declineCode: string | null): ApplicationFailure {
  return toApplicationFailure(
    new DomainError('PAYMENT_DECLINED', 'the payment provider declined the payment', { declineCode }),
  );
}
