import { sql } from 'drizzle-orm';

/**
 * For `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: true when the row was created, false
 * when it was updated. A freshly inserted row version has no deleting/locking transaction
 * (xmax = 0); the updated one carries the updating transaction's id. Lets PUT answer 201 or 200
 * from one atomic statement.
 */
export const insertedFlag = sql<boolean>`(xmax = 0)`;
