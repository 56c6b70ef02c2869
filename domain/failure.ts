import { ApplicationFailure, ApplicationFailureCategory, TemporalFailure } from '@temporalio/common';
import { DomainError, isErrorCode } from './errors';

/**
 * The one bridge between DomainError and Temporal failures. Activities and workflow code throw
 * `toApplicationFailure(err)` so a business refusal is never retried; the API maps a failure
 * coming back from a workflow or update with `fromTemporalFailure`.
 */
export function toApplicationFailure(err: DomainError): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    details: err.details === undefined ? [] : [err.details],
    nonRetryable: true,
    // A refusal is the business working as intended: logged at DEBUG, not as an activity error.
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** An error and its causes, outermost first (at most `maxDepth` of them). */
export function* causesOf(err: unknown, maxDepth = 10): Generator<Error> {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < maxDepth; depth++) {
    yield current;
    current = current instanceof TemporalFailure || current.cause ? current.cause : undefined;
  }
}

/** Finds the DomainError carried anywhere in a failure's cause chain, if there is one. */
export function fromTemporalFailure(err: unknown): DomainError | undefined {
  for (const current of causesOf(err)) {
    if (current instanceof DomainError) return current;
    if (current instanceof ApplicationFailure && isErrorCode(current.type)) {
      return new DomainError(current.type, current.message, current.details?.[0]);
    }
  }
  return undefined;
}

/** Whether an ApplicationFailure of `type` is anywhere in a failure's cause chain. */
export function hasFailureType(err: unknown, type: string): boolean {
  for (const current of causesOf(err)) {
    if (current instanceof ApplicationFailure && current.type === type) return true;
  }
  return false;
}
