import { ApplicationFailure } from '@temporalio/common';
import { findPostgresError, isDeterministicSqlState } from '../db/sqlstate';

type Activity = (...args: never[]) => Promise<unknown>;

/**
 * Every activity, with a database error that will fail the same way on every retry (a constraint
 * or data error: db/sqlstate.ts) turned into a non-retryable `DatabaseRejected` failure, so a
 * poison input fails its saga, which compensates and records why, instead of retrying for ever.
 * Errors that may heal (a lost connection, a deadlock, a serialization failure) stay retryable,
 * and business refusals (ApplicationFailures already) pass through as they are.
 */
export function rejectingPoisonInputs<T extends Record<string, Activity>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        try {
          return await activity(...args);
        } catch (err) {
          throw databaseRejection(name, err) ?? err;
        }
      },
    ]),
  ) as T;
}

/** The non-retryable failure for a deterministic database error; undefined for anything else. */
export function databaseRejection(activityName: string, err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return undefined;
  const rejected = findPostgresError(err);
  if (!rejected || !isDeterministicSqlState(rejected.code)) return undefined;
  const where = [rejected.table_name && `table ${rejected.table_name}`, rejected.constraint_name && `constraint ${rejected.constraint_name}`]
    .filter(Boolean)
    .join(', ');
  return ApplicationFailure.create({
    type: 'DatabaseRejected',
    message: `${activityName}: the database rejected the change (SQLSTATE ${rejected.code}${where ? `, ${where}` : ''}): ${rejected.message}`,
    details: [
      {
        sqlState: rejected.code,
        constraint: rejected.constraint_name ?? null,
        table: rejected.table_name ?? null,
        column: rejected.column_name ?? null,
      },
    ],
    nonRetryable: true,
    cause: rejected,
  });
}
