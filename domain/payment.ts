/**
 * A charge's status (API.md "GET /orders/{id}/payments"): `pending` while its outcome is being
 * found out, `succeeded`, `declined`, `refunded` (wholly) or `voided` (given back in full, its key
 * dead at the provider).
 */
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'declined', 'refunded', 'voided'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** A refund's status: `pending` from when it is recorded until the provider confirms it, then `succeeded`. */
export const REFUND_STATUSES = ['pending', 'succeeded'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * The longest one payment can take, its three provider calls of PAYMENT_TIMEOUT and the gaps
 * between them: the bound the API gives the pay call, and what a payment starting in a
 * reservation's last minute adds to it.
 */
export function chargeBoundMs(paymentTimeoutMs: number): number {
  return 10_000 + 4 * paymentTimeoutMs;
}
