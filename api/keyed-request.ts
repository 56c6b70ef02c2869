import type { Response } from 'express';
import type { KeyedRequest } from '../db/idempotency-keys';
import { callerOf, fingerprintOf } from './idempotency';

/**
 * The keyed request a changing POST stands for, or undefined when it came without an
 * Idempotency-Key. Keys are scoped to the caller; the fingerprint covers the operation's body.
 */
export function keyedRequest(
  res: Response,
  key: string | undefined,
  operation: KeyedRequest['operation'],
  target: string,
  body: unknown,
): KeyedRequest | undefined {
  if (key === undefined) return undefined;
  return { caller: callerOf(res.locals.principal), key, operation, target, requestHash: fingerprintOf(body) };
}
