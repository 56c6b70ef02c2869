import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  EVENT_DATA_VERSION,
  EVENT_SOURCE,
  type EventEnvelope,
  type EventType,
  type NewEvent,
} from '../domain/events';
import type { Db } from './client';

/** The LISTEN/NOTIFY channel a committed event rings: only a hint, the relay polls behind it. */
export const OUTBOX_CHANNEL = 'event_outbox';

/** The transaction making the change (or anything that can run a statement inside it). */
type Transaction = Pick<Db, 'execute'>;

/**
 * Writes events into the outbox, inside the caller's transaction, so they exist exactly when the
 * change commits; in one statement, whatever their number, since a caller may hold a hot row's
 * lock meanwhile. Each takes its subject's next sequence: the subject's counter row stays locked
 * until the transaction ends, so the next event of that subject is numbered (and inserted) only
 * after this one committed, and a rollback hands the number back. Callers append a transaction's
 * stock-level events while holding those levels' row locks, so the counters never deadlock.
 * Events keep their given order: in their subject's sequence and in the outbox.
 */
export async function appendEvents(tx: Transaction, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(
    (event, n) =>
      sql`(${n}::int, ${randomUUID()}::uuid, ${event.type}::text, ${event.subject}::text, ${event.correlationId}::text, ${JSON.stringify(event.data)}::jsonb)`,
  );
  // A subject's counter moves once by its count of events (a row may change only once per
  // statement); its events are numbered up to the new value, in the order given.
  await tx.execute(sql`
    WITH input (n, id, type, subject, correlation_id, data) AS (VALUES ${sql.join(rows, sql`, `)}),
    counts AS (
      SELECT subject, count(*)::int AS taken, min(n) AS first FROM input GROUP BY subject
    ),
    counters AS (
      INSERT INTO event_subject_sequences AS s (subject, last_sequence)
      SELECT subject, taken FROM counts ORDER BY first
      ON CONFLICT (subject) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
      RETURNING subject, last_sequence
    ),
    written AS (
      INSERT INTO event_outbox (id, type, subject, sequence, correlation_id, data)
      SELECT i.id, i.type, i.subject,
             c.last_sequence - k.taken + row_number() OVER (PARTITION BY i.subject ORDER BY i.n),
             i.correlation_id, i.data
      FROM input i JOIN counters c USING (subject) JOIN counts k USING (subject)
      ORDER BY i.n
      RETURNING 1
    )
    -- Delivered at commit, and only then; several in one transaction arrive as one.
    SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM (SELECT 1 FROM written LIMIT 1) AS rang`);
}

export function appendEvent(tx: Transaction, event: NewEvent): Promise<void> {
  return appendEvents(tx, [event]);
}

/** An outbox row as the relay and the endpoints read it (snake_case, as raw SQL returns it). */
export type OutboxRow = {
  position: number;
  id: string;
  type: string;
  subject: string;
  sequence: number;
  correlation_id: string | null;
  data: unknown;
  occurred_at: Date;
  transaction_id: string;
  status: 'pending' | 'published' | 'failed';
  attempts: number;
  last_error: string | null;
};

/**
 * The columns every reader selects, in OutboxRow's shape. The pool reads bigint as BigInt, so the
 * position comes as a double (exact far beyond any count of events) and the xid8 as text.
 */
export const OUTBOX_COLUMN_LIST =
  'position::float8 AS position, id, type, subject, sequence, correlation_id, data, occurred_at, ' +
  'transaction_id::text AS transaction_id, status, attempts, last_error';
export const OUTBOX_COLUMNS = sql.raw(OUTBOX_COLUMN_LIST);

export function toEnvelope(row: OutboxRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type as EventType,
    source: EVENT_SOURCE,
    dataVersion: EVENT_DATA_VERSION,
    timestamp: new Date(row.occurred_at).toISOString(),
    correlationId: row.correlation_id,
    subject: row.subject,
    sequence: row.sequence,
    data: row.data,
  };
}

export interface OutboxStats {
  pending: number;
  failed: number;
  /** How long the oldest unpublished event has waited; 0 when none waits. */
  oldestPendingAgeSeconds: number;
}

/** The outbox's depth and age, for metrics and the relay's lag report. */
export async function outboxStats(db: Db): Promise<OutboxStats> {
  const [row] = await db.execute<{ pending: number; failed: number; oldest: number }>(sql`
    SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
           count(*) FILTER (WHERE status = 'failed')::int AS failed,
           coalesce(extract(epoch FROM now() - min(occurred_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest
    FROM event_outbox
    WHERE status IN ('pending', 'failed')`);
  return { pending: row?.pending ?? 0, failed: row?.failed ?? 0, oldestPendingAgeSeconds: Math.max(0, row?.oldest ?? 0) };
}

/**
 * Puts an event the relay gave up on back in line, its attempts counted afresh. Undefined when
 * there is no such event; `retried: false` with the row as it stands when it had not failed.
 */
export async function retryFailedEvent(db: Db, id: string): Promise<{ retried: boolean; row: OutboxRow } | undefined> {
  return db.transaction(async (tx) => {
    const [retried] = await tx.execute<OutboxRow>(sql`
      UPDATE event_outbox SET status = 'pending', attempts = 0, last_error = NULL
      WHERE id = ${id} AND status = 'failed'
      RETURNING ${OUTBOX_COLUMNS}`);
    if (retried) {
      await tx.execute(sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`);
      return { retried: true, row: retried };
    }
    const [row] = await tx.execute<OutboxRow>(sql`SELECT ${OUTBOX_COLUMNS} FROM event_outbox WHERE id = ${id}`);
    return row ? { retried: false, row } : undefined;
  });
}

/** A page of the events the relay gave up on, oldest first, with how many there are in all. */
export async function listFailedEvents(
  db: Db,
  { limit, offset }: { limit: number; offset: number },
): Promise<{ rows: OutboxRow[]; total: number }> {
  return db.transaction(
    async (tx) => {
      const rows = await tx.execute<OutboxRow>(sql`
        SELECT ${OUTBOX_COLUMNS} FROM event_outbox WHERE status = 'failed'
        ORDER BY position LIMIT ${limit} OFFSET ${offset}`);
      const [counted] = await tx.execute<{ total: number }>(sql`
        SELECT count(*)::int AS total FROM event_outbox WHERE status = 'failed'`);
      return { rows: [...rows], total: counted?.total ?? 0 };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
