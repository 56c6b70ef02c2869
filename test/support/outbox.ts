import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { eventOutbox } from '../../db/schema';
import { levelSubject } from '../../domain/events';

/** A subject's events as written to the outbox, in sequence order. */
export async function eventsOf(db: Db, subject: string) {
  return db
    .select({
      type: eventOutbox.type,
      sequence: eventOutbox.sequence,
      correlationId: eventOutbox.correlationId,
      data: eventOutbox.data,
      status: eventOutbox.status,
    })
    .from(eventOutbox)
    .where(eq(eventOutbox.subject, subject))
    .orderBy(asc(eventOutbox.sequence));
}

/** A stock level's events, in sequence order. */
export function levelEventsOf(db: Db, pair: { productId: string; warehouseId: string }) {
  return eventsOf(db, levelSubject(pair.productId, pair.warehouseId));
}

/** Just the types, in sequence order. */
export async function typesOf(db: Db, subject: string): Promise<string[]> {
  return (await eventsOf(db, subject)).map((event) => event.type);
}
