export interface ChargeRequest {
  amount: number;
  currency: string;
  paymentToken: string | null;
  idempotencyKey: string;
}

export type ChargeResult =
  | { status: 'succeeded'; providerRef: string }
  | { status: 'declined'; declineCode: string };

/** A card processor. Charges and refunds are idempotent per key, as with real providers. */
export interface PaymentProvider {
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** Gives `amount` of the charge back; a charge may be refunded in parts, never beyond what it took. */
  refund(providerRef: string, amount: number, idempotencyKey: string): Promise<void>;
}
