import { createHash } from 'node:crypto';
import type { Principal } from './auth/principal';
import type { OrderLineRequest } from '../domain/order';

/**
 * The order id a keyed POST /orders lands on: a name-based UUID (version 5 layout, SHA-256 instead
 * of SHA-1) of the caller and the key, so a retried request reaches the same saga while two
 * callers using the same key never collide.
 */
export function orderIdForIdempotencyKey(principal: Principal, key: string): string {
  return nameBasedUuid(['order', callerOf(principal), key]);
}

/** The return id a keyed POST /orders/{id}/returns lands on: per caller, order and key. */
export function returnIdForIdempotencyKey(principal: Principal, orderId: string, key: string): string {
  return nameBasedUuid(['return', callerOf(principal), orderId, key]);
}

function callerOf(principal: Principal): string {
  return `${principal.role}:${principal.subject ?? ''}`;
}

function nameBasedUuid(name: string[]): string {
  const bytes = createHash('sha256').update(JSON.stringify(name)).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface PlacingRequest {
  customerId: string;
  items: OrderLineRequest[];
  shippingAddress: string;
  voucherCode: string | null;
}

/** Fingerprint of what was asked for: equal for equal requests whatever the key order of the JSON. */
export function requestHashOf(request: PlacingRequest): string {
  const canonical = canonicalJson({
    customerId: request.customerId,
    items: request.items.map(({ productId, warehouseId, quantity }) => ({ productId, warehouseId, quantity })),
    shippingAddress: request.shippingAddress,
    voucherCode: request.voucherCode,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
