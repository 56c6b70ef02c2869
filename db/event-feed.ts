import { sql } from 'drizzle-orm';
import type { EventEnvelope, EventType } from '../domain/events';
import type { Db } from './client';
import { OUTBOX_COLUMNS, toEnvelope, type OutboxRow } from './outbox';

/** Where a reader of the feed is: after this row (the writing transaction, then the position). */
export interface FeedCursor {
  transactionId: string;
  position: number;
}

export interface FeedQuery {
  after: FeedCursor | null;
  type?: EventType;
  subject?: string;
  limit: number;
}

/**
 * The events, oldest first, for readers that poll instead of subscribing. Paged by the writing
 * transaction's id, and only rows of transactions every snapshot already sees as finished (below
 * the current snapshot's xmin) are served: a transaction still open may hold a smaller id than
 * rows already served, but it can only ever add rows behind a cursor that has not reached it.
 * A position or sequence is given out before commit, so paging by either would skip rows that
 * commit late. Within one subject the `sequence` says the order, and a gap shows a missed event.
 */
export async function readEventFeed(db: Db, query: FeedQuery): Promise<{ events: EventEnvelope[]; last: FeedCursor | null }> {
  const { after, type, subject, limit } = query;
  const rows = await db.execute<OutboxRow>(sql`
    SELECT ${OUTBOX_COLUMNS} FROM event_outbox
    WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ${after ? sql`AND (transaction_id, position) > (${after.transactionId}::xid8, ${after.position})` : sql``}
      ${type ? sql`AND type = ${type}` : sql``}
      ${subject ? sql`AND subject = ${subject}` : sql``}
    ORDER BY transaction_id, position
    LIMIT ${limit}`);
  const tail = rows.at(-1);
  return {
    events: rows.map(toEnvelope),
    last: tail ? { transactionId: tail.transaction_id, position: tail.position } : null,
  };
}

/** Cursors are opaque to clients: base64url of `<transaction id>.<position>`. */
export function encodeCursor(cursor: FeedCursor): string {
  return Buffer.from(`${cursor.transactionId}.${cursor.position}`).toString('base64url');
}

export function decodeCursor(text: string): FeedCursor | undefined {
  const match = /^(\d{1,20})\.(\d{1,16})$/.exec(Buffer.from(text, 'base64url').toString());
  if (!match) return undefined;
  return { transactionId: match[1]!, position: Number(match[2]) };
}
