import type { ChargeResult, PaymentProvider } from '../../activities/payment-provider';

export type ProviderCalls = Record<keyof PaymentProvider, number>;

/** The provider, counting how often each of its operations is asked for. */
export function countingProvider(inner: PaymentProvider): { provider: PaymentProvider; calls: ProviderCalls } {
  const calls: ProviderCalls = { charge: 0, refund: 0, lookup: 0, void: 0 };
  const provider: PaymentProvider = {
    charge(request, signal) {
      calls.charge++;
      return inner.charge(request, signal);
    },
    refund(providerRef, amount, idempotencyKey) {
      calls.refund++;
      return inner.refund(providerRef, amount, idempotencyKey);
    },
    lookup(idempotencyKey) {
      calls.lookup++;
      return inner.lookup(idempotencyKey);
    },
    void(idempotencyKey) {
      calls.void++;
      return inner.void(idempotencyKey);
    },
  };
  return { provider, calls };
}

/**
 * The provider, losing the worker right after each of its first `crashes` charges: the charge
 * went through at the provider, but the activity fails before it hears so. `charged` collects
 * the references the provider charged.
 */
export function crashingAfterCharges(
  inner: PaymentProvider,
  crashes = 1,
): { provider: PaymentProvider; charged: Set<string> } {
  const charged = new Set<string>();
  let left = crashes;
  const provider: PaymentProvider = {
    ...bound(inner),
    async charge(request, signal): Promise<ChargeResult> {
      const result = await inner.charge(request, signal);
      if (result.status === 'succeeded') charged.add(result.providerRef);
      if (left-- > 0) throw new Error('worker lost after the provider charged');
      return result;
    },
  };
  return { provider, charged };
}

function bound(inner: PaymentProvider): PaymentProvider {
  return {
    charge: (request, signal) => inner.charge(request, signal),
    refund: (providerRef, amount, idempotencyKey) => inner.refund(providerRef, amount, idempotencyKey),
    lookup: (idempotencyKey) => inner.lookup(idempotencyKey),
    void: (idempotencyKey) => inner.void(idempotencyKey),
  };
}
