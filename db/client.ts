import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Db = PostgresJsDatabase<typeof schema>;

/** An open transaction on the database: what `db.transaction(...)` hands its callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  /** The raw postgres.js pool, for health checks and the few queries drizzle cannot express. */
  sql: postgres.Sql;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * int8 (money columns, counts, ledger ids) as a JS number. postgres.js would give a string (or a
 * BigInt); every amount the service stores fits a number exactly, so one beyond
 * Number.MAX_SAFE_INTEGER is refused loudly rather than rounded into a wrong amount.
 */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is beyond the integers a JS number holds exactly`);
  }
  return value;
}

/** Opens one pool per process; pass it to everything that needs the database. */
export function openDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    types: {
      int8: { to: INT8_OID, from: [INT8_OID], parse: parseInt8, serialize: (value: number | bigint) => String(value) },
    },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
