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
  const refunds = new Map<string, number>();
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
      return result;
    },
    async refund(providerRef: string, amount: number): Promise<void> {
      if (!refunds.has(providerRef)) refunds.set(providerRef, amount);
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
