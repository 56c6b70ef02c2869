import { z } from 'zod';
import { PAYMENT_STATUSES, REFUND_STATUSES } from '../../domain/payment';
import { timestamp } from './ids';

const STATUSES = [...new Set([...PAYMENT_STATUSES, ...REFUND_STATUSES])] as [string, ...string[]];

/** One movement of an order's money (API.md "GET /orders/{id}/payments"): a charge or a refund. */
export const orderPayment = z.object({
  id: z.uuid(),
  kind: z.enum(['charge', 'refund']),
  /** Minor units, in `currency`. */
  amount: z.number().int().describe('minor units, in currency'),
  currency: z.string(),
  /**
   * A charge: pending (its outcome is being found out), succeeded, declined, refunded (wholly) or
   * voided. A refund: pending (the provider has not confirmed it yet) or succeeded.
   */
  status: z
    .enum(STATUSES)
    .describe(
      'a charge: pending (its outcome is being found out), succeeded, declined, refunded (wholly) or voided; ' +
        'a refund: pending (not yet confirmed by the provider) or succeeded',
    ),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type OrderPaymentJson = z.infer<typeof orderPayment>;
