import { createHash } from 'node:crypto';
import type { Db } from '../db/client';
import { claimIdempotencyKey, recordIdempotentAnswer, type KeyedRequest } from '../db/idempotency-keys';
import { DomainError } from '../domain/errors';
import { fromTemporalFailure } from '../domain/failure';
import type { OrderLineRequest } from '../domain/order';
import type { Principal } from './auth/principal';

/**
 * The order id a keyed POST /orders lands on: a name-based UUID (version 5 layout, SHA-256 instead
 * of SHA-1) of the caller and the key, so a retried request reaches the same saga while two
 * callers using the same key never collide.
 */
export function orderIdForIdempotencyKey(principal: Principal, key: string): string {
  return nameBasedUuid(['order', callerOf(principal), key]);
}

/** The hold id a keyed POST /inventory/reserve lands on: per caller and key, like an order's. */
export function holdIdForIdempotencyKey(principal: Principal, key: string): string {
  return nameBasedUuid(['hold', callerOf(principal), key]);
}

/** The return id a keyed POST /orders/{id}/returns lands on: per caller, order and key. */
export function returnIdForIdempotencyKey(principal: Principal, orderId: string, key: string): string {
  return nameBasedUuid(['return', callerOf(principal), orderId, key]);
}

/** Who a key belongs to: keys are scoped to the credential's role and subject. */
export function callerOf(principal: Principal): string {
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

/** Fingerprint of any request body: equal for equal bodies whatever the key order of the JSON. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** The workflow update id of a keyed request: a repeat reaches the update the first one started. */
export function updateIdFor(keyed: KeyedRequest | undefined): { updateId?: string } {
  if (!keyed) return {};
  return { updateId: `${keyed.operation}:${fingerprintOf([keyed.caller, keyed.key])}` };
}

/**
 * Carries out a change at most once per Idempotency-Key and answers every repeat as the first.
 * Without a key `perform` just runs. With one, a repeat of a request already answered gets that
 * answer again: the refusal, or the success status (the route then shows the resource as it
 * stands now). A first request, or a repeat of one whose answer was lost (`repeat` is true), runs
 * `perform`; the saga update it sends carries `updateIdFor(keyed)`, so a repeat lands on the
 * update the first one started instead of acting twice. Definitive answers are kept; a 5xx is
 * not, so a repeat after an outage tries again.
 */
export async function oncePerKey(
  db: Db,
  keyed: KeyedRequest | undefined,
  perform: (repeat: boolean) => Promise<number>,
): Promise<number> {
  if (!keyed) return perform(false);
  const claim = await claimIdempotencyKey(db, keyed);
  if (claim.kind === 'answered') {
    const { status, error } = claim.answer;
    if (error) throw new DomainError(error.code, error.message, error.details);
    return status;
  }
  let status: number;
  try {
    status = await perform(claim.kind === 'unanswered');
  } catch (err) {
    const refusal = err instanceof DomainError ? err : fromTemporalFailure(err);
    if (refusal && refusal.status < 500) {
      await recordIdempotentAnswer(db, keyed, {
        status: refusal.status,
        error: { code: refusal.code, message: refusal.message, ...(refusal.details === undefined ? {} : { details: refusal.details }) },
      });
    }
    throw err;
  }
  await recordIdempotentAnswer(db, keyed, { status });
  return status;
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
