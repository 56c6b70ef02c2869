import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sandboxCharges, sandboxRefunds } from '../db/schema';
import { KeyVoidedError, type ChargeLookup, type ChargeRequest, type ChargeResult, type PaymentProvider } from './payment-provider';

type SandboxCharge = typeof sandboxCharges.$inferSelect;

/**
 * The provider for development and tests, behaving like a real one: it keeps its charges,
 * refunds, voids and idempotency keys in PostgreSQL (its own tables), so a new instance over the
 * same database, a restarted worker, never charges a key twice.
 *
 * Tokens: `tok_decline…` declines; `tok_timeout…` never answers and never charges; `tok_lost…`
 * charges (committed) and then loses the answer, on every call, even when the key had already
 * charged; any other token, or none, succeeds. A key that already charged or declined answers its
 * first result; a voided key is refused (KeyVoidedError) whatever the token.
 */
export function createSandboxPaymentProvider(db: Db): PaymentProvider {
  return {
    async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
      const token = request.paymentToken ?? '';
      if (token.startsWith('tok_timeout')) {
        const first = await chargeOf(db, request.idempotencyKey);
        return first ? firstResult(first) : noAnswer(signal);
      }
      const declined = token.startsWith('tok_decline');
      // One statement decides the key: of concurrent charges under it, one inserts and the rest
      // find its row (or a void's tombstone), so a key charges at most once.
      const [inserted] = await db
        .insert(sandboxCharges)
        .values({
          idempotencyKey: request.idempotencyKey,
          providerRef: declined ? null : `sandbox_ch_${randomBytes(12).toString('hex')}`,
          amount: declined ? 0 : request.amount,
          currency: request.currency,
          status: declined ? 'declined' : 'succeeded',
          declineCode: declined ? 'card_declined' : null,
        })
        .onConflictDoNothing({ target: sandboxCharges.idempotencyKey })
        .returning();
      const charge = inserted ?? (await chargeOf(db, request.idempotencyKey));
      if (!charge) throw new Error(`sandbox charge ${request.idempotencyKey} vanished after it was written`);
      const result = firstResult(charge);
      // The charge is committed; only the answer goes missing.
      if (token.startsWith('tok_lost')) return noAnswer(signal);
      return result;
    },

    async refund(providerRef: string, amount: number, idempotencyKey: string): Promise<void> {
      await db.transaction(async (tx) => {
        // Every refund of one charge queues on its row, so together they never pass its amount.
        const [charge] = await tx.select().from(sandboxCharges).where(eq(sandboxCharges.providerRef, providerRef)).for('update');
        if (!charge) throw refused(`no charge ${providerRef} to refund`, 'UnknownCharge');

        const [done] = await tx.select().from(sandboxRefunds).where(eq(sandboxRefunds.idempotencyKey, idempotencyKey));
        if (done) {
          if (done.providerRef === providerRef && done.amount === amount) return; // a repeat
          throw refused(`refund key ${idempotencyKey} was already used for another refund`, 'RefundKeyReused');
        }
        if (charge.status !== 'succeeded') throw refused(`charge ${providerRef} is ${charge.status}: nothing is left to refund`, 'RefundExceedsCharge');
        const [given] = await tx
          .select({ amount: sql<number>`coalesce(sum(${sandboxRefunds.amount}), 0)::bigint` })
          .from(sandboxRefunds)
          .where(eq(sandboxRefunds.providerRef, providerRef));
        const left = charge.amount - (given?.amount ?? 0);
        if (amount > left) {
          throw refused(`refund of ${amount} exceeds the ${left} left of charge ${providerRef}`, 'RefundExceedsCharge');
        }
        await tx.insert(sandboxRefunds).values({ idempotencyKey, providerRef, amount });
      });
    },

    async lookup(idempotencyKey: string): Promise<ChargeLookup> {
      const charge = await chargeOf(db, idempotencyKey);
      if (!charge) return { status: 'none' };
      if (charge.status === 'voided') return { status: 'voided', providerRef: charge.providerRef };
      return charge.status === 'succeeded'
        ? { status: 'succeeded', providerRef: charge.providerRef!, amount: charge.amount }
        : { status: 'declined', declineCode: charge.declineCode ?? 'card_declined' };
    },

    async void(idempotencyKey: string): Promise<void> {
      // One statement: a key that never charged gets a tombstone, so a charge arriving later
      // finds it and is refused; a charged one keeps its reference and gives everything back.
      await db.execute(sql`
        INSERT INTO sandbox_charges (idempotency_key, amount, status, voided_at)
        VALUES (${idempotencyKey}, 0, 'voided', now())
        ON CONFLICT (idempotency_key) DO UPDATE SET status = 'voided', voided_at = now()
        WHERE sandbox_charges.status <> 'voided'`);
    },
  };
}

async function chargeOf(db: Db, idempotencyKey: string): Promise<SandboxCharge | undefined> {
  const [charge] = await db.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, idempotencyKey));
  return charge;
}

/** The answer a key gives once it has charged or declined; a voided key refuses. */
function firstResult(charge: SandboxCharge): ChargeResult {
  if (charge.status === 'voided') throw new KeyVoidedError(charge.idempotencyKey);
  return charge.status === 'succeeded'
    ? { status: 'succeeded', providerRef: charge.providerRef! }
    : { status: 'declined', declineCode: charge.declineCode ?? 'card_declined' };
}

/** A refund the provider will never accept, however often it is asked: not worth retrying. */
function refused(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** A provider that hangs: settles only by rejecting once the caller gives up. */
function noAnswer(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const giveUp = () => reject(new Error('payment provider did not answer', { cause: signal?.reason }));
    if (signal?.aborted) giveUp();
    else signal?.addEventListener('abort', giveUp, { once: true });
  });
}
