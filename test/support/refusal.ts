import { strict as assert } from 'node:assert';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from '../../domain/errors';

/** Awaits a business refusal: a non-retryable ApplicationFailure whose type is the error code. */
export async function expectRefusal(work: Promise<unknown>, code: ErrorCode): Promise<ApplicationFailure> {
  const failure = await work.then(
    () => assert.fail(`expected ${code}, but it succeeded`),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(failure)}`);
  assert.equal(failure.type, code);
  assert.equal(failure.nonRetryable, true);
  return failure;
}
