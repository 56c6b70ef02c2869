import { and, eq, isNull, sql } from 'drizzle-orm';
import { DomainError, isErrorCode, type ErrorCode } from '../domain/errors';
import type { Db } from './client';
import { idempotencyKeys } from './schema';

/** One keyed request: who sent it, under which key, to do what to what, with which body. */
export interface KeyedRequest {
  /** The credential's subject (`role:subject`): keys are scoped to it. */
  caller: string;
  key: string;
  operation: 'place' | 'pay' | 'cancel' | 'return' | 'ship' | 'deliver' | 'hold' | 'release' | 'extend' | 'extend-reservation';
  /** The resource it acts on (an order, delivery order or stock hold id). */
  target: string;
  /** Fingerprint of the body. */
  requestHash: string;
}

/** The first definitive answer to a keyed request: its status, and its refusal when it was one. */
export interface StoredAnswer {
  status: number;
  error?: { code: ErrorCode; message: string; details?: unknown };
}

/** What a key holds: nothing yet (this request is the first), a request whose answer is not known yet, or its answer. */
export type KeyClaim = { kind: 'first' } | { kind: 'unanswered' } | { kind: 'answered'; answer: StoredAnswer };

/**
 * Claims the key for this request, or finds the earlier one under it. The same key with another
 * operation, target or body is IDEMPOTENCY_KEY_REUSED. Kept here, not in the workflow engine: a key
 * outlives any saga's retention.
 */
export async function claimIdempotencyKey(db: Db, request: KeyedRequest): Promise<KeyClaim> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      caller: request.caller,
      key: request.key,
      operation: request.operation,
      target: request.target,
      requestHash: request.requestHash,
    })
    .onConflictDoNothing({ target: [idempotencyKeys.caller, idempotencyKeys.key] })
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return { kind: 'first' };

  const [earlier] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.caller, request.caller), eq(idempotencyKeys.key, request.key)));
  if (!earlier) throw new Error(`idempotency key ${request.key} vanished after it was claimed`);
  if (earlier.operation !== request.operation || earlier.target !== request.target || earlier.requestHash !== request.requestHash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
  }
  if (earlier.statusCode === null) return { kind: 'unanswered' };
  return { kind: 'answered', answer: storedAnswer(earlier.statusCode, earlier.response) };
}

/** Keeps the first definitive answer; a later one (a concurrent repeat) never overwrites it. */
export async function recordIdempotentAnswer(db: Db, request: KeyedRequest, answer: StoredAnswer): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ statusCode: answer.status, response: answer.error ?? null, completedAt: sql`now()` })
    .where(
      and(eq(idempotencyKeys.caller, request.caller), eq(idempotencyKeys.key, request.key), isNull(idempotencyKeys.statusCode)),
    );
}

function storedAnswer(status: number, response: unknown): StoredAnswer {
  if (response === null || response === undefined) return { status };
  const error = response as { code?: unknown; message?: unknown; details?: unknown };
  if (!isErrorCode(error.code)) throw new Error(`stored answer ${JSON.stringify(response)} has no contract error code`);
  return {
    status,
    error: { code: error.code, message: String(error.message ?? ''), ...(error.details === undefined ? {} : { details: error.details }) },
  };
}
