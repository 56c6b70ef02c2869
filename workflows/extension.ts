/**
 * Extending: the shopper (or a payment that starts in the hold's last minute) pushes an unpaid
 * order's reservation out, bounded by RESERVATION_MAX_EXTENSIONS and by HOLD_MAX_TTL from the
 * moment it was placed. Decided under the saga's lock, so an extension and the expiry, a payment
 * or a cancel never interleave: the expiry, when its timer fires, re-reads the expiry under the
 * lock (payment.ts) and waits again when it moved.
 */
import { patched } from '@temporalio/workflow';
import { chargeBoundMs } from '../domain/payment';
import { durable } from './activities';
import type { ExtendReservationRequest, OrderState } from './messages';
import { contractFailure, type OrderRun } from './order-run';

/** `extendable-reservation`: a payment starting in the hold's last minute extends it by itself. */
export const EXTENDABLE_RESERVATION = 'extendable-reservation';
/** A payment that starts this close to the expiry extends the hold once by itself. */
export const LAST_MINUTE_MS = 60_000;

/** The validator of `extendReservation`, and its check again under the lock. */
export function validateExtension(run: OrderRun, { byMs }: ExtendReservationRequest): void {
  const limits = run.input.extensions;
  const why = !limits
    ? 'it was placed before reservations could be extended'
    : !run.awaitingPayment()
      ? `it is ${run.phase()}, not awaiting payment`
      : run.shopperExtensions >= limits.maxCount
        ? `it was extended ${run.shopperExtensions} time(s) already, the most allowed`
        : Date.parse(run.state.reservationExpiresAt!) >= latestExpiryMs(run)
          ? 'it is already held as long as any reservation may be (HOLD_MAX_TTL)'
          : !(byMs > 0)
            ? 'an extension must be positive'
            : undefined;
  if (why) throw contractFailure('RESERVATION_NOT_EXTENDABLE', `the reservation of order ${run.orderId} cannot be extended: ${why}`);
}

/** The `extendReservation` update: answers with the new expiry in reservationExpiresAt. */
export function extendReservation(run: OrderRun, request: ExtendReservationRequest): Promise<OrderState> {
  return run.lock.runExclusive(async () => {
    // Again under the lock: a payment, a cancel or the expiry may have come first.
    validateExtension(run, request);
    run.shopperExtensions += 1;
    await pushExpiry(run, request.byMs);
    return run.snapshot();
  });
}

/**
 * Called under the lock before a charge: in the hold's last minute, extends it once (outside the
 * shopper's count, within HOLD_MAX_TTL), so a slow provider never loses the customer's stock
 * mid-charge and the order shows how long it is held.
 */
export async function extendForPayment(run: OrderRun): Promise<void> {
  if (!run.input.extensions || run.paymentExtended) return;
  if (Date.parse(run.state.reservationExpiresAt!) - Date.now() > LAST_MINUTE_MS) return;
  if (!patched(EXTENDABLE_RESERVATION)) return;
  run.paymentExtended = true;
  // By the longest a charge can take (domain/payment.ts).
  await pushExpiry(run, chargeBoundMs(run.input.paymentTimeoutMs));
}

/** The latest any expiry of this order may be: HOLD_MAX_TTL after it was placed. */
function latestExpiryMs(run: OrderRun): number {
  return run.placedAtMs! + run.input.extensions!.maxTotalMs;
}

/** Moves the expiry out by `byMs`, never past the latest; the stored hold first, then the saga's own. */
async function pushExpiry(run: OrderRun, byMs: number): Promise<void> {
  const current = Date.parse(run.state.reservationExpiresAt!);
  const next = Math.min(current + byMs, latestExpiryMs(run));
  if (next <= current) return;
  const expiresAt = new Date(next).toISOString();
  await durable.extendReservation(run.orderId, expiresAt);
  run.state.reservationExpiresAt = expiresAt;
  run.state.reservationExtensions = (run.state.reservationExtensions ?? 0) + 1;
}
