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

/** Finds the DomainError carried anywhere in a failure's cause chain, if there is one. */
export function fromTemporalFailure(err: unknown): DomainError | undefined {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    if (current instanceof DomainError) return current;
    if (current instanceof ApplicationFailure && isErrorCode(current.type)) {
      return new DomainError(current.type, current.message, current.details?.[0]);
    }
    current = current instanceof TemporalFailure || current.cause ? current.cause : undefined;
  }
  return undefined;
}
