import postgres from 'postgres';

/**
 * SQLSTATE classes whose errors come back the same however often the statement is retried: the
 * data or the statement is wrong, not the moment. 22 data exception (a value out of range, a
 * malformed uuid), 23 integrity constraint violation, 42 syntax error or undefined object,
 * 2B dependent objects still exist, 2D invalid transaction termination, P0 a PL/pgSQL raise.
 * Everything else (08 connection, 40 serialization failure and deadlock, 53 insufficient
 * resources, 57P operator intervention, ...) may heal and is worth retrying.
 */
const DETERMINISTIC_CLASSES: ReadonlySet<string> = new Set(['22', '23', '42', '2B', '2D', 'P0']);

export function isDeterministicSqlState(sqlState: string): boolean {
  return DETERMINISTIC_CLASSES.has(sqlState.slice(0, 2));
}

/** The error PostgreSQL answered with, found anywhere in the cause chain (drizzle wraps it). */
export function findPostgresError(err: unknown): postgres.PostgresError | undefined {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    if (current instanceof postgres.PostgresError) return current;
    current = current.cause;
  }
  return undefined;
}
