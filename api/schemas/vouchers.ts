import { z } from 'zod';
import { CURRENCY } from '../../domain/order';
import { catalogId, int32, timestamp } from './ids';

export const VOUCHER_KINDS = ['percent', 'fixed'] as const;

/** Voucher codes follow the id rules of API.md: 1-64 characters of [A-Za-z0-9._-]. */
export const voucherCode = catalogId;
export const voucherParams = z.object({ code: voucherCode });

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

export const voucherBody = z
  .strictObject({
    kind: z.enum(VOUCHER_KINDS),
    /** percent: 1-100 (% of the subtotal, rounded down); fixed: minor units off the subtotal. */
    value: int32.min(1, 'must be at least 1'),
    /** The store sells in one currency; a voucher naming another could never apply. */
    currency: z.literal(CURRENCY).nullable().default(null),
    minSubtotal: int32.min(0).default(0),
    validFrom: instant.nullable().default(null),
    validUntil: instant.nullable().default(null),
    /** null: unlimited. */
    maxRedemptions: int32.min(1, 'must be at least 1').nullable().default(null),
    active: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'percent' && body.value > 100) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a percent voucher takes at most 100' });
    }
    if (body.validFrom && body.validUntil && Date.parse(body.validFrom) >= Date.parse(body.validUntil)) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
    }
  });

export type VoucherBody = z.output<typeof voucherBody>;

export const voucher = z.object({
  code: voucherCode,
  kind: z.enum(VOUCHER_KINDS),
  value: z.number().int(),
  currency: z.string().nullable(),
  minSubtotal: z.number().int(),
  validFrom: timestamp.nullable(),
  validUntil: timestamp.nullable(),
  maxRedemptions: z.number().int().nullable(),
  /** Redemptions held by orders now (a cancelled or expired order gives its redemption back). */
  redemptions: z.number().int().describe('redemptions held by orders now; a cancelled or expired order gives its back'),
  active: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type VoucherJson = z.infer<typeof voucher>;
