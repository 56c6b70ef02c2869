export interface ChargeRequest {
  amount: number;
  currency: string;
  paymentToken: string | null;
  idempotencyKey: string;
}

export type ChargeResult =
  | { status: 'succeeded'; providerRef: string }
  | { status: 'declined'; declineCode: string };

/** What became of an idempotency key at the provider. */
export type ChargeLookup =
  /** The provider never charged this key (nor declined it). */
  | { status: 'none' }
  | { status: 'succeeded'; providerRef: string; amount: number }
  | { status: 'declined'; declineCode: string }
  /** Voided: nothing is kept, and the key can never charge again. */
  | { status: 'voided'; providerRef: string | null };

/**
 * A card processor. Charges and refunds are idempotent per key, as with real providers, and the
 * provider remembers its keys on its own side: a charge whose answer was lost can be looked up,
 * and voided so that it never lands.
 */
export interface PaymentProvider {
  /**
   * Charges once per key; a repeat answers the first result. Throws KeyVoidedError for a key
   * that was voided. May never answer (the caller bounds it with `signal`).
   */
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** Gives `amount` of the charge back; a charge may be refunded in parts, never beyond what it has left. */
  refund(providerRef: string, amount: number, idempotencyKey: string): Promise<void>;
  /** What became of a key: never charged, charged, declined or voided. */
  lookup(idempotencyKey: string): Promise<ChargeLookup>;
  /**
   * Gives back in full whatever the key charged and kills the key: a later charge under it is
   * refused (KeyVoidedError), even one already on its way. Idempotent.
   */
  void(idempotencyKey: string): Promise<void>;
}

/** The provider refused a charge because its idempotency key was voided: it will never charge. */
export class KeyVoidedError extends Error {
  override readonly name = 'KeyVoidedError';

  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${idempotencyKey} was voided; it can no longer charge`);
  }
}
