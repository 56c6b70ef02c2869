/**
 * Payment: the durable hold waits for pay or cancel until the reservation lapses; `pay` charges
 * under the saga's lock. A charge whose answer may be lost has its settlement on the compensation
 * stack before it is made, so an order that does not end confirmed never keeps the money.
 */
import { CancellationScope, condition, patched } from '@temporalio/workflow';
import { DomainError } from '../domain/errors';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import type { Quote } from '../domain/order';
import { durable, payments } from './activities';
import { extendForPayment } from './extension';
import type { OrderState, PaymentRequest } from './messages';
import { MAX_PAYMENT_ATTEMPTS, type Decision, type OrderRun } from './order-run';

/** Declined payments an order survives; the next decline cancels it. */
const MAX_DECLINES = 3;
const DECLINED_CANCEL_REASON = `payment declined ${MAX_DECLINES} times`;

/**
 * `settle-before-charge`: settlePayments (find out by key what each charge did, void or refund
 * it) goes on the stack before the first charge, replacing refundPayment pushed after a known success.
 */
export const SETTLE_BEFORE_CHARGE = 'settle-before-charge';
/** `free-orders`: an order whose total is 0 is confirmed without calling the provider. */
export const FREE_ORDERS = 'free-orders';
/** `settle-every-key`: settlePayments is told every key the saga charged with (see charge). */
export const SETTLE_EVERY_KEY = 'settle-every-key';

/** The idempotency key of the order's n-th charge key (a new one only after a decline). */
function chargeKey(orderId: string, n: number): string {
  return `${orderId}:payment:${n}`;
}

/** Every key the saga has charged (or may be charging) with: one per decline, and the current one. */
function chargeKeysOf(run: OrderRun): string[] {
  return Array.from({ length: run.declines + 1 }, (_, i) => chargeKey(run.orderId, i + 1));
}

/** The validator of `pay`: refuses at once what the handler would refuse, without recording anything. */
export function validatePayment(run: OrderRun): void {
  if (!run.awaitingPayment()) throw run.notPayable();
  if (run.state.paymentAttempts >= MAX_PAYMENT_ATTEMPTS) {
    throw run.notPayable(`it took ${MAX_PAYMENT_ATTEMPTS} payment attempts already`);
  }
}

/** The `pay` update: charges under the lock; answers once the order is confirmed (or the refusal). */
export async function takePayment(run: OrderRun, { paymentToken }: PaymentRequest): Promise<OrderState> {
  try {
    await run.lock.runExclusive(async () => {
      // Checked again under the lock: a racing cancel or the expiry may have won meanwhile.
      if (!run.awaitingPayment() || !run.quote) throw run.notPayable();
      run.state.paymentAttempts += 1;
      await extendForPayment(run);
      if (run.quote.total === 0 && patched(FREE_ORDERS)) {
        run.decision = { outcome: 'paid' };
        return;
      }
      await charge(run, run.quote, paymentToken);
      run.decision = { outcome: 'paid' };
    });
  } catch (err) {
    // The decline that used up the order's chances: the payer hears of the decline once the
    // stock is given back, so what they read next is the cancelled order.
    if (run.decision?.outcome === 'cancelled' && run.decision.reason === DECLINED_CANCEL_REASON) {
      await condition(() => run.state.status !== 'awaiting_payment');
    }
    throw err;
  }
  await condition(() => run.state.status !== 'awaiting_payment');
  if (run.state.status === 'cancelled') throw run.sagaEnded('ORDER_NOT_PAYABLE');
  return run.snapshot();
}

/**
 * The durable hold: waits for pay or cancel until the reservation lapses, and waits again when
 * an extension moved the expiry out (workflows/extension.ts).
 */
export async function awaitPaymentCancelOrExpiry(run: OrderRun): Promise<Decision> {
  for (;;) {
    const expiresAt = run.state.reservationExpiresAt!;
    // From workflow time, so a replay or a restarted worker waits exactly what is left.
    const remainingMs = Date.parse(expiresAt) - Date.now();
    await condition(() => run.decision !== undefined || run.state.reservationExpiresAt !== expiresAt, Math.max(1, remainingMs));
    if (run.decision) return run.decision;
    if (run.state.reservationExpiresAt !== expiresAt) continue;
    // The hold lapsed: a charge or an extension in flight gets its outcome first (the charge
    // may have gone through, the extension may have moved the expiry).
    const lapsed = await run.lock.runExclusive(async () =>
      run.decision ?? (run.state.reservationExpiresAt === expiresAt ? (run.decision = { outcome: 'expired' }) : undefined),
    );
    if (lapsed) return lapsed;
  }
}

async function charge(run: OrderRun, quote: Quote, paymentToken: string | null): Promise<void> {
  const { orderId, paymentTimeoutMs } = run.input;
  const settleFirst = patched(SETTLE_BEFORE_CHARGE);
  if (settleFirst && !run.settlementPushed) {
    // Before the call: its answer can be lost after the provider charged. Whatever ends this
    // order other than confirmed finds every charge out by its key and gives it back; with
    // `settle-every-key`, also the keys of attempts whose row never got written (an attempt
    // Temporal gave up on may still charge), so that they never can.
    const everyKey = patched(SETTLE_EVERY_KEY);
    run.saga.push(() => (everyKey ? durable.settlePayments(orderId, chargeKeysOf(run)) : durable.settlePayments(orderId)));
    run.settlementPushed = true;
  }
  try {
    // Not cancellable: whether the card was charged must be known before anything unwinds.
    await CancellationScope.nonCancellable(() =>
      payments(paymentTimeoutMs).chargePayment({
        orderId,
        amount: quote.total,
        currency: quote.currency,
        paymentToken,
        // A new key only after a decline: an attempt that went unanswered may have charged, so
        // the next one must reuse its key, and the provider answers it without charging twice.
        idempotencyKey: chargeKey(orderId, run.declines + 1),
      }),
    );
  } catch (err) {
    const refused =
      fromTemporalFailure(err) ??
      new DomainError('PAYMENT_UNAVAILABLE', 'the payment provider did not answer; the order can still be paid');
    if (refused.code === 'PAYMENT_DECLINED') {
      run.declines += 1;
      if (run.declines >= MAX_DECLINES && patched('cancel-after-declines')) {
        run.decision = { outcome: 'cancelled', reason: DECLINED_CANCEL_REASON };
      }
    }
    throw toApplicationFailure(refused);
  }
  if (!settleFirst) run.saga.push(() => durable.refundPayment(orderId));
}
