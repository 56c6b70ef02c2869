/** Error codes of the HTTP contract (API.md), each with the status it is answered with. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  DELIVERY_ORDER_NOT_FOUND: 404,
  INSUFFICIENT_INVENTORY: 409,
  ORDER_NOT_PAYABLE: 409,
  ORDER_NOT_CANCELLABLE: 409,
  DELIVERY_ORDER_NOT_SHIPPABLE: 409,
  DELIVERY_ORDER_NOT_DELIVERABLE: 409,
  STOCK_BELOW_RESERVED: 409,
  VOUCHER_UNAVAILABLE: 409,
  RETURN_NOT_ALLOWED: 409,
  HOLD_MISMATCH: 409,
  HOLD_NOT_ACTIVE: 409,
  RESERVATION_NOT_EXTENDABLE: 409,
  HOLD_NOT_EXTENDABLE: 409,
  EVENT_NOT_FAILED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNKNOWN_PRODUCT: 422,
  UNKNOWN_WAREHOUSE: 422,
  CUSTOMER_NOT_ALLOWED: 422,
  LIMIT_EXCEEDED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  PAYMENT_UNAVAILABLE: 503,
  INVENTORY_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

/**
 * A business refusal with a contract error code. Thrown by domain and activity code; the API
 * turns it into the error envelope, activities into a non-retryable ApplicationFailure.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/**
 * What was short when stock could not be reserved: `details.items` of INSUFFICIENT_INVENTORY.
 * `warehouseId` is null for lines left to the server, measured against every active warehouse.
 */
export interface ShortItem {
  productId: string;
  warehouseId: string | null;
  requested: number;
  available: number;
}
