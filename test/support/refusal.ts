import { strict as assert } from 'node:assert';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from '../../domain/errors';

/** Awaits a failure Temporal will not retry: a non-retryable ApplicationFailure of this type. */
export async function expectNonRetryable(work: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  const failure = await work.then(
    () => assert.fail(`expected ${type}, but it succeeded`),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(failure)}`);
  assert.equal(failure.type, type);
  assert.equal(failure.nonRetryable, true);
  return failure;
}

/** Awaits a business refusal: a non-retryable ApplicationFailure whose type is the error code. */
export function expectRefusal(work: Promise<unknown>, code: ErrorCode): Promise<ApplicationFailure> {
  return expectNonRetryable(work, code);
}
