import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { Queryable } from './stock-reservations';
import { voucherRedemptions, vouchers } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import { voucherDiscount, type VoucherKind, type VoucherRefusal } from '../domain/voucher';

export interface RedeemVoucherInput {
  orderId: string;
  code: string;
  subtotal: number;
  currency: string;
  /** Workflow time of the placement: the validity window is judged at this instant. */
  at: string;
}

export function createVoucherActivities(db: Db) {
  return {
    /**
     * Validates the voucher for this order and takes one redemption, atomically (maxRedemptions
     * holds under concurrency); returns the discount. VOUCHER_UNAVAILABLE otherwise. Idempotent per order.
     */
    async redeemVoucher(input: RedeemVoucherInput): Promise<{ discount: number }> {
      const { orderId, code } = input;
      return db.transaction(async (tx) => {
        // Every redemption of this voucher queues on its row, so the count read below is the
        // count the UPDATE changes, and a duplicate of this order finds the first one's row.
        const [voucher] = await tx.select().from(vouchers).where(eq(vouchers.code, code)).for('update');
        if (!voucher) throw unavailable(code, 'unknown');

        const [redeemed] = await tx
          .select({ discount: voucherRedemptions.discount })
          .from(voucherRedemptions)
          .where(eq(voucherRedemptions.orderId, orderId));
        if (redeemed) return { discount: redeemed.discount };

        const decision = voucherDiscount(
          { ...voucher, kind: voucher.kind as VoucherKind },
          input.subtotal,
          input.currency,
          new Date(input.at),
        );
        if (!decision.ok) throw unavailable(code, decision.reason);

        // The condition (and the table's CHECK behind it) is what holds maxRedemptions even if
        // the lock above were ever dropped.
        const counted = await tx.execute(sql`
          UPDATE vouchers
          SET redemptions = redemptions + 1, updated_at = now()
          WHERE code = ${code} AND (max_redemptions IS NULL OR redemptions < max_redemptions)
          RETURNING code`);
        if (counted.length === 0) throw unavailable(code, 'used_up');
        await tx
          .insert(voucherRedemptions)
          .values({ voucherCode: code, orderId, discount: decision.discount, status: 'active' });
        return { discount: decision.discount };
      });
    },

    /** Gives the order's redemption back (cancelled or expired before payment). Idempotent. */
    async releaseVoucher(orderId: string): Promise<void> {
      await releaseRedemption(db, orderId);
    },
  };
}

export type VoucherActivities = ReturnType<typeof createVoucherActivities>;

/**
 * Gives an order's active redemption back, in the caller's transaction or on its own. One
 * statement: the redemption and the count change together, and a repeat (or a concurrent
 * duplicate, re-checking after the row lock) finds nothing active to release.
 */
export async function releaseRedemption(db: Queryable, orderId: string): Promise<void> {
  await db.execute(sql`
    WITH released AS (
      UPDATE voucher_redemptions
      SET status = 'released', updated_at = now()
      WHERE order_id = ${orderId} AND status = 'active'
      RETURNING voucher_code
    )
    UPDATE vouchers
    SET redemptions = redemptions - 1, updated_at = now()
    FROM released
    WHERE vouchers.code = released.voucher_code`);
}

function unavailable(code: string, reason: VoucherRefusal | 'unknown') {
  return toApplicationFailure(
    new DomainError('VOUCHER_UNAVAILABLE', `voucher ${code} cannot be used (${reason.replaceAll('_', ' ')})`, {
      code,
      reason,
    }),
  );
}
