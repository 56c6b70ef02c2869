export interface ChargeRequest {
  amount: number;
  currency: string;
  paymentToken: string | null;
  idempotencyKey: string;
}

export type ChargeResult =
  | { status: 'succeeded'; providerRef: string }
  | { status: 'declined'; declineCode: string };

/** A card processor. Charges are idempotent per key, as with real providers. */
export interface PaymentProvider {
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  refund(providerRef: string, amount: number): Promise<void>;
}
