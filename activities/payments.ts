import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appendEvent } from '../db/outbox';
import { payments, refunds } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import type { PaymentStatus, RefundStatus } from '../domain/payment';
import { correlationIdOf } from './correlation';
import { KeyVoidedError, type PaymentProvider } from './payment-provider';

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

/** How many of the order's payments are voided and refunded once settlePayments is done. */
export interface SettledPayments {
  voided: number;
  refunded: number;
}

type PaymentRow = typeof payments.$inferSelect;

export function createPaymentActivities(db: Db, provider: PaymentProvider) {
  return {
    /**
     * Charges once per idempotency key; a decline is a non-retryable PAYMENT_DECLINED, a voided
     * key (settlePayments gave it back) a non-retryable PaymentVoided. A provider that does not
     * answer within the attempt's deadline is a retryable failure: the retry asks again under the
     * same key.
     */
    async chargePayment(input: ChargePaymentInput): Promise<Payment> {
      const { idempotencyKey } = input;
      // The row is written before the provider is called, so a retry after a crash finds the
      // key and the provider (idempotent per key) answers it without charging again, and
      // settlePayments finds the key to ask the provider about.
      await db
        .insert(payments)
        .values({
          orderId: input.orderId,
          idempotencyKey,
          amount: input.amount,
          currency: input.currency,
          status: 'pending' satisfies PaymentStatus,
        })
        .onConflictDoNothing({ target: payments.idempotencyKey });
      const payment = await paymentByKey(db, idempotencyKey);
      if (payment.status !== 'pending') return answered(payment);

      let result;
      try {
        result = await provider.charge(
          { amount: payment.amount, currency: payment.currency, paymentToken: input.paymentToken, idempotencyKey },
          attemptSignal(),
        );
      } catch (err) {
        if (!(err instanceof KeyVoidedError)) throw err;
        await closePending(db, payment.id, { status: 'voided' });
        throw closed(idempotencyKey, 'voided');
      }
      if (result.status === 'succeeded') {
        await closePending(db, payment.id, { status: 'succeeded', providerRef: result.providerRef });
      } else {
        await closePending(db, payment.id, { status: 'declined', declineCode: result.declineCode });
      }
      // Read back: settlePayments may have voided the key while the answer was on its way.
      return answered(await paymentByKey(db, idempotencyKey));
    },

    /**
     * The compensation pushed before a charge: gives back whatever the order's payments took,
     * known or not. A pending payment (its answer may have been lost) is asked about at the
     * provider: charged or never charged, its key is voided, so that a charge still on its way can
     * never land; declined, it is recorded so. A succeeded payment has what is left of it refunded.
     * Idempotent, and safe to repeat (even concurrently) after a crash at any point: every provider
     * call is idempotent per key and every row changes only from the status it was read in.
     */
    async settlePayments(orderId: string, keys: readonly string[] = []): Promise<SettledPayments> {
      // Every key the saga charged with and has no row yet: an attempt Temporal gave up on may
      // still be running in a worker, its row not yet written. Voided first, it can never charge.
      const recorded = new Set((await paymentsOf(db, orderId)).map((payment) => payment.idempotencyKey));
      for (const key of keys) {
        if (!recorded.has(key) && (await provider.lookup(key)).status === 'none') await provider.void(key);
      }
      // Read after the voids: a row an attempt wrote meanwhile is settled with the rest.
      for (const payment of await paymentsOf(db, orderId)) {
        if (payment.status === 'pending') await settlePending(db, provider, payment);
        else if (payment.status === 'succeeded') await settleSucceeded(db, provider, payment);
      }
      const settled = await paymentsOf(db, orderId);
      return {
        voided: settled.filter((p) => p.status === 'voided').length,
        refunded: settled.filter((p) => p.status === 'refunded').length,
      };
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
      if (refund) await refundAtProvider(db, provider, refund);
    },

    /** Refunds whatever each succeeded payment of the order has not yet given back. Idempotent. */
    async refundPayment(orderId: string): Promise<void> {
      for (const payment of await paymentsOf(db, orderId)) {
        if (payment.status === 'succeeded') await refundRest(db, provider, payment);
      }
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;

async function paymentByKey(db: Db, idempotencyKey: string): Promise<PaymentRow> {
  const [payment] = await db.select().from(payments).where(eq(payments.idempotencyKey, idempotencyKey));
  if (!payment) throw new Error(`payment ${idempotencyKey} vanished after it was written`);
  return payment;
}

/** The order's payments, oldest first. */
function paymentsOf(db: Db, orderId: string): Promise<PaymentRow[]> {
  return db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.createdAt, payments.id);
}

/** What chargePayment answers for a payment whose outcome is recorded. */
function answered(payment: PaymentRow): Payment {
  switch (payment.status as PaymentStatus) {
    case 'succeeded':
      return { paymentId: payment.id, status: 'succeeded' };
    case 'declined':
      throw declined(payment.declineCode);
    case 'pending':
      throw new Error(`payment ${payment.idempotencyKey} is still pending after the provider answered`);
    default:
      throw closed(payment.idempotencyKey, payment.status);
  }
}

/**
 * Records the provider's answer on a payment still pending; a payment already settled keeps its
 * status. A charge that went through is announced (payment.succeeded) in the same transaction,
 * once: a repeat moves no row and announces nothing.
 */
async function closePending(
  db: Db,
  paymentId: string,
  outcome: { status: Exclude<PaymentStatus, 'pending' | 'refunded'>; providerRef?: string | null; declineCode?: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [moved] = await tx
      .update(payments)
      .set({ ...outcome, updatedAt: sql`now()` })
      .where(and(eq(payments.id, paymentId), eq(payments.status, 'pending' satisfies PaymentStatus)))
      .returning({ orderId: payments.orderId, amount: payments.amount, currency: payments.currency });
    if (!moved || outcome.status !== 'succeeded') return;
    await appendEvent(tx, {
      type: 'payment.succeeded',
      subject: moved.orderId,
      correlationId: correlationIdOf(),
      data: { orderId: moved.orderId, paymentId, amount: Number(moved.amount), currency: moved.currency },
    });
  });
}

/**
 * A pending payment: what became of its key decides. Declined: recorded, nothing to give back.
 * Otherwise (charged, never charged, or already voided) the key is voided, which gives back in
 * full what it charged and refuses any charge still to come, and the payment is recorded voided
 * with the charge's reference. The row moves from pending or succeeded: a charge attempt that got
 * its answer just before the void may have recorded a success the void has since undone.
 */
async function settlePending(db: Db, provider: PaymentProvider, payment: PaymentRow): Promise<void> {
  const found = await provider.lookup(payment.idempotencyKey);
  if (found.status === 'declined') {
    await closePending(db, payment.id, { status: 'declined', declineCode: found.declineCode });
    return;
  }
  if (found.status !== 'voided') await provider.void(payment.idempotencyKey);
  const after = found.status === 'voided' ? found : await provider.lookup(payment.idempotencyKey);
  if (after.status !== 'voided') {
    throw new Error(`the provider still reports key ${payment.idempotencyKey} ${after.status} after voiding it`);
  }
  await db
    .update(payments)
    .set({ status: 'voided' satisfies PaymentStatus, providerRef: after.providerRef ?? payment.providerRef, updatedAt: sql`now()` })
    .where(and(eq(payments.id, payment.id), inArray(payments.status, ['pending', 'succeeded'] satisfies PaymentStatus[])));
}

/**
 * A succeeded payment: what it has left is refunded, unless the provider voided its key (a void
 * of a key that was never charged when asked, racing the charge): then nothing is kept.
 */
async function settleSucceeded(db: Db, provider: PaymentProvider, payment: PaymentRow): Promise<void> {
  const found = await provider.lookup(payment.idempotencyKey);
  if (found.status !== 'voided') return refundRest(db, provider, payment);
  await db
    .update(payments)
    .set({ status: 'voided' satisfies PaymentStatus, updatedAt: sql`now()` })
    .where(and(eq(payments.id, payment.id), eq(payments.status, 'succeeded' satisfies PaymentStatus)));
}

/** Refunds what a succeeded payment has left, under the payment's one compensation key, then closes it. */
async function refundRest(db: Db, provider: PaymentProvider, payment: PaymentRow): Promise<void> {
  const refund = await recordRefund(db, payment.orderId, `${payment.idempotencyKey}:refund`, { paymentId: payment.id });
  if (refund) await refundAtProvider(db, provider, refund);
  else await markIfFullyRefunded(db, payment.id); // partial refunds may already have given everything back
}

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
  id: string;
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
      return { id: recorded.id, paymentId: recorded.paymentId, providerRef: payment.providerRef, amount: recorded.amount, idempotencyKey };
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

    const [inserted] = await tx
      .insert(refunds)
      .values({ paymentId: payment.id, orderId, idempotencyKey, amount })
      .returning({ id: refunds.id });
    return { id: inserted!.id, paymentId: payment.id, providerRef: payment.providerRef, amount, idempotencyKey };
  });
}

/** Asks the provider (idempotent per key) for the recorded refund, then closes it and a fully refunded payment. */
async function refundAtProvider(db: Db, provider: PaymentProvider, refund: RecordedRefund): Promise<void> {
  await provider.refund(refund.providerRef, refund.amount, refund.idempotencyKey);
  await db.transaction(async (tx) => {
    // Announced (payment.refunded) with the move to succeeded, so once however often this repeats.
    const [given] = await tx
      .update(refunds)
      .set({ status: 'succeeded' satisfies RefundStatus, updatedAt: sql`now()` })
      .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'pending' satisfies RefundStatus)))
      .returning({ orderId: refunds.orderId, amount: refunds.amount });
    if (!given) return;
    const [payment] = await tx.select({ currency: payments.currency }).from(payments).where(eq(payments.id, refund.paymentId));
    await appendEvent(tx, {
      type: 'payment.refunded',
      subject: given.orderId,
      correlationId: correlationIdOf(),
      data: {
        orderId: given.orderId,
        paymentId: refund.paymentId,
        refundId: refund.id,
        amount: Number(given.amount),
        currency: payment!.currency,
      },
    });
  });
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

/** A charge under a key that was voided or refunded: it will never be taken again. */
function closed(idempotencyKey: string, status: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `payment ${idempotencyKey} is ${status}: its key can no longer charge`,
    status === 'voided' ? 'PaymentVoided' : 'PaymentClosed',
  );
}
