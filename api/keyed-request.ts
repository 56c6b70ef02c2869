import type { Request, Response } from 'express';
import type { KeyedRequest } from '../db/idempotency-keys';
import { callerOf, fingerprintOf } from './idempotency';
import { idempotencyHeaders } from './schemas/orders';
import { parseInput } from './validation';

/**
 * The keyed request a changing POST stands for, or undefined when it came without an
 * Idempotency-Key. Keys are scoped to the caller; the fingerprint covers the operation's body.
 */
export function keyedRequest(
  req: Request,
  res: Response,
  operation: KeyedRequest['operation'],
  target: string,
  body: unknown,
): KeyedRequest | undefined {
  const key = parseInput('headers', idempotencyHeaders, req.headers)['idempotency-key'];
  if (key === undefined) return undefined;
  return { caller: callerOf(res.locals.principal), key, operation, target, requestHash: fingerprintOf(body) };
}
