import { randomBytes } from 'node:crypto';
import type { ChargeRequest, ChargeResult, PaymentProvider } from './payment-provider';

/**
 * The default provider for development and tests. Tokens starting `tok_decline` are declined,
 * tokens starting `tok_timeout` never get an answer (until the caller aborts), everything else,
 * and no token, succeeds.
 *
 * A real provider remembers idempotency keys and refunds on its side, across restarts; this one
 * keeps them in memory, for as long as the process lives.
 */
export function createSandboxPaymentProvider(): PaymentProvider {
  const charges = new Map<string, ChargeResult>();
  const charged = new Map<string, number>(); // providerRef → amount taken
  const refunds = new Map<string, number>(); // idempotency key → amount given back
  const refundedOf = new Map<string, number>(); // providerRef → total given back
  return {
    async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
      const first = charges.get(request.idempotencyKey);
      if (first) return first;
      const token = request.paymentToken ?? '';
      if (token.startsWith('tok_timeout')) return noAnswer(signal);
      const result: ChargeResult = token.startsWith('tok_decline')
        ? { status: 'declined', declineCode: 'card_declined' }
        : { status: 'succeeded', providerRef: `sandbox_ch_${randomBytes(12).toString('hex')}` };
      charges.set(request.idempotencyKey, result);
      if (result.status === 'succeeded') charged.set(result.providerRef, request.amount);
      return result;
    },
    async refund(providerRef: string, amount: number, idempotencyKey: string): Promise<void> {
      if (refunds.has(idempotencyKey)) return;
      // A charge made by an earlier process is unknown here; a real provider would know it.
      const taken = charged.get(providerRef) ?? Number.POSITIVE_INFINITY;
      const given = refundedOf.get(providerRef) ?? 0;
      if (given + amount > taken) throw new Error(`refund of ${amount} exceeds what is left of charge ${providerRef}`);
      refunds.set(idempotencyKey, amount);
      refundedOf.set(providerRef, given + amount);
    },
  };
}

/** A provider that hangs: settles only by rejecting once the caller gives up. */
function noAnswer(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const giveUp = () => reject(new Error('payment provider did not answer', { cause: signal?.reason }));
    if (signal?.aborted) giveUp();
    else signal?.addEventListener('abort', giveUp, { once: true });
  });
}
