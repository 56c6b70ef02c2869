import { shareOf } from './money';
import type { Quote } from './order';

export const VOUCHER_KINDS = ['percent', 'fixed'] as const;
export type VoucherKind = (typeof VOUCHER_KINDS)[number];

/** What the rules need to know about a voucher (a `vouchers` row). Money in minor units. */
export interface VoucherTerms {
  kind: VoucherKind;
  /** Percent (1..100) or an amount off in minor units. */
  value: number;
  /** When set, only orders in this currency may use it. */
  currency: string | null;
  minSubtotal: number;
  /** Both ends inclusive; null means open. */
  validFrom: Date | null;
  validUntil: Date | null;
  maxRedemptions: number | null;
  /** Redemptions currently held by orders. */
  redemptions: number;
  active: boolean;
}

/** Why a voucher cannot be used: `details.reason` of VOUCHER_UNAVAILABLE (plus `unknown` for a code that does not exist). */
export type VoucherRefusal =
  | 'inactive'
  | 'not_yet_valid'
  | 'expired'
  | 'currency_mismatch'
  | 'minimum_not_met'
  | 'used_up';

export type VoucherDecision = { ok: true; discount: number } | { ok: false; reason: VoucherRefusal };

/**
 * Whether the voucher applies to an order with this subtotal and currency at this instant, and
 * what it takes off. A percent voucher rounds down to a whole minor unit (the shop never gives
 * away a fraction); a fixed one takes at most the subtotal, so a total never goes negative.
 */
export function voucherDiscount(voucher: VoucherTerms, subtotal: number, currency: string, at: Date): VoucherDecision {
  if (!voucher.active) return { ok: false, reason: 'inactive' };
  if (voucher.validFrom && at.getTime() < voucher.validFrom.getTime()) return { ok: false, reason: 'not_yet_valid' };
  if (voucher.validUntil && at.getTime() > voucher.validUntil.getTime()) return { ok: false, reason: 'expired' };
  if (voucher.currency !== null && voucher.currency !== currency) return { ok: false, reason: 'currency_mismatch' };
  if (subtotal < voucher.minSubtotal) return { ok: false, reason: 'minimum_not_met' };
  if (voucher.maxRedemptions !== null && voucher.redemptions >= voucher.maxRedemptions) {
    return { ok: false, reason: 'used_up' };
  }
  const discount =
    voucher.kind === 'percent' ? shareOf(subtotal, voucher.value, 100) : Math.min(voucher.value, subtotal);
  return { ok: true, discount };
}

/** The quote with a discount taken off; the discount is clamped so the total stays between 0 and the subtotal. */
export function applyDiscount(quote: Quote, discount: number): Quote {
  const taken = Math.min(Math.max(discount, 0), quote.subtotal);
  return { ...quote, discount: taken, total: quote.subtotal - taken };
}
