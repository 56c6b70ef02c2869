/**
 * The outbox relay: publishes what the activities wrote into event_outbox to JetStream.
 *
 * - One relay leads at a time (a session advisory lock on a connection of its own), so two
 *   workers never publish one subject's events side by side; the others stand by and take over
 *   within RELAY_TAKEOVER_MS when the leader's connection goes.
 * - It claims pending rows in position order (per subject that is sequence order, see
 *   db/outbox.ts), publishes each subject's events one after another, each waiting for its ack,
 *   so even a second publisher could not reorder them; different subjects go out side by side.
 * - The event id is the `Nats-Msg-Id`: a publish repeated after a lost ack or a crash before the
 *   row was marked is dropped by the stream's duplicate window (longer than any retry gap).
 * - It wakes on NOTIFY from committing writers, with a short poll behind it; it backs off
 *   exponentially while the broker is away and catches up when it returns; an event the broker
 *   refuses OUTBOX_MAX_ATTEMPTS times is parked `failed` for an admin to retry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@temporalio/common';
import type postgres from 'postgres';
import { OUTBOX_CHANNEL, OUTBOX_COLUMN_LIST, toEnvelope, type OutboxRow } from '../db/outbox';
import { RELAY_TAKEOVER_MS, type Config } from '../domain/config';
import type { EventEnvelope } from '../domain/events';
import { ensureStream, eventStreamNames } from './event-streams';

/** Any constant all relays agree on (db/migrate.ts uses 727_001). */
const RELAY_LOCK = 727_002;
/** Subjects published side by side (each subject's events still one after another). */
const PUBLISH_CONCURRENCY = 32;
const FIRST_BACKOFF_MS = 250;
/** Lag worth a log line, and how often it is repeated while it lasts. */
const LAG_REPORT_SECONDS = 10;
const LAG_REPORT_EVERY_MS = 30_000;
/** "wrong expected stream": another stream took the subjects; finding the stream again may heal it. */
const WRONG_STREAM = 10060;

export interface RelaySettings {
  subjectPrefix: string;
  warehouseSubjectPrefix: string;
  duplicateWindowMs: number;
  batchSize: number;
  pollIntervalMs: number;
  publishTimeoutMs: number;
  maxBackoffMs: number;
  maxAttempts: number;
}

export function relaySettings(config: Config): RelaySettings {
  return {
    subjectPrefix: config.NATS_SUBJECT_PREFIX,
    warehouseSubjectPrefix: config.NATS_WAREHOUSE_SUBJECT_PREFIX,
    duplicateWindowMs: config.NATS_DUPLICATE_WINDOW,
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL,
    publishTimeoutMs: config.OUTBOX_PUBLISH_TIMEOUT,
    maxBackoffMs: config.OUTBOX_MAX_BACKOFF,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
  };
}

export interface OutboxRelayDeps {
  /**
   * A client of the relay's own with one connection (`max: 1`): its session holds the lead.
   * LISTEN takes a second connection of its own.
   */
  sql: postgres.Sql;
  nats: NatsConnection;
  settings: RelaySettings;
  log: Logger;
  /**
   * Fault injection for tests: runs once the broker acknowledged a batch, before the batch is
   * marked published (a relay killed here must not make consumers see duplicates).
   */
  onAcknowledged?: (events: readonly EventEnvelope[]) => Promise<void> | void;
}

export interface RelayStatus {
  leading: boolean;
  /** False while the broker is away and the relay backs off. */
  brokerAvailable: boolean;
  /** Events this relay had acknowledged by the broker since it started (duplicates included). */
  published: number;
  /** How long the oldest event of the last batch had waited: how far behind the relay is. */
  lagSeconds: number;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight, gives up the lead and returns. */
  stop(): Promise<void>;
  status(): RelayStatus;
}

/** What one batch came to: acknowledged rows, rows the broker refused, and whether it was away. */
interface BatchOutcome {
  acknowledged: OutboxRow[];
  refused: Array<{ row: OutboxRow; error: string }>;
  away?: unknown;
}

export function createOutboxRelay({ sql, nats, settings, log, onAcknowledged }: OutboxRelayDeps): OutboxRelay {
  const names = eventStreamNames(settings.subjectPrefix, settings.warehouseSubjectPrefix);
  const stopping = new AbortController();
  const wake = new Wakeup();
  const backoff = new Backoff(FIRST_BACKOFF_MS, settings.maxBackoffMs);
  const state: RelayStatus = { leading: false, brokerAvailable: true, published: 0, lagSeconds: 0 };
  let running: Promise<void> | undefined;
  let lastLagReport = 0;
  let catchUp: { since: number; published: number } | undefined;

  /** Waits, unless the relay is stopping. */
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        const [row] = await sql<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${RELAY_LOCK}) AS locked`;
        if (!row?.locked) {
          await pause(RELAY_TAKEOVER_MS);
          continue;
        }
        state.leading = true;
        log.info('leading the outbox relay', { stream: names.eventStream });
        try {
          await lead();
        } finally {
          state.leading = false;
          // A no-op (with a warning) when the session that held it is gone: so is the lock.
          await sql`SELECT pg_advisory_unlock(${RELAY_LOCK})`.catch(() => undefined);
        }
      } catch (err) {
        // The database went away, or the session holding the lead did: try again once it answers.
        if (stopping.signal.aborted) break;
        log.warn('outbox relay interrupted; retrying', { error: String(err) });
        await pause(backoff.next());
      }
    }
  }

  /**
   * Whether this client's session still holds the lead. A dropped connection is reopened by the
   * client with a new session that does not, so every claim asks first.
   */
  async function stillLeading(): Promise<boolean> {
    const [row] = await sql<{ held: boolean }[]>`
      SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND classid = 0 AND objid = ${RELAY_LOCK} AND objsubid = 1
          AND pid = pg_backend_pid() AND granted
      ) AS held`;
    return row?.held === true;
  }

  /** Publishes while holding the lead; returns when stopping, throws when the lead is lost. */
  async function lead(): Promise<void> {
    const listening = await sql.listen(OUTBOX_CHANNEL, () => wake.ring());
    try {
      let publisher: { js: JetStreamClient; stream: string } | undefined;
      while (!stopping.signal.aborted) {
        try {
          publisher ??= await connectPublisher();
        } catch (err) {
          brokerAway(err);
          await pause(backoff.next());
          continue;
        }
        if (!(await stillLeading())) throw new Error('the session holding the relay lock is gone');
        const batch = await sql<OutboxRow[]>`
          SELECT ${sql.unsafe(OUTBOX_COLUMN_LIST)} FROM event_outbox
          WHERE status = 'pending' ORDER BY position LIMIT ${settings.batchSize}`;
        if (batch.length === 0) {
          caughtUp();
          await wake.wait(settings.pollIntervalMs);
          continue;
        }
        reportLag(batch);
        const outcome = await publish(publisher, batch);
        if (outcome.acknowledged.length > 0) await onAcknowledged?.(outcome.acknowledged.map(toEnvelope));
        await record(outcome);
        if (outcome.away !== undefined) {
          brokerAway(outcome.away);
          publisher = undefined; // the stream may be gone too: find it again once the broker answers
          await pause(backoff.next());
        } else {
          brokerBack();
        }
      }
    } finally {
      await listening.unlisten().catch(() => undefined);
    }
  }

  async function connectPublisher(): Promise<{ js: JetStreamClient; stream: string }> {
    const jsm = await jetstreamManager(nats, { timeout: settings.publishTimeoutMs });
    const stream = await ensureStream(
      jsm,
      {
        name: names.eventStream,
        subjects: names.eventSubjects,
        probe: names.eventSubject('order.created'),
        duplicateWindowMs: settings.duplicateWindowMs,
      },
      log,
    );
    return { js: jetstream(nats, { timeout: settings.publishTimeoutMs }), stream };
  }

  /**
   * Each subject's events one after another, each after the previous one's ack; subjects side by
   * side. A refusal stops its subject for this round (its later events must not overtake it); the
   * broker being away stops everything.
   */
  async function publish(
    { js, stream }: { js: JetStreamClient; stream: string },
    batch: readonly OutboxRow[],
  ): Promise<BatchOutcome> {
    const bySubject = new Map<string, OutboxRow[]>();
    for (const row of batch) bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), row]);
    const subjects = [...bySubject.values()];
    const outcome: BatchOutcome = { acknowledged: [], refused: [] };
    let next = 0;

    async function publishSubjects(): Promise<void> {
      while (outcome.away === undefined && next < subjects.length) {
        for (const row of subjects[next++]!) {
          if (outcome.away !== undefined) return;
          try {
            await js.publish(names.eventSubject(row.type), JSON.stringify(toEnvelope(row)), {
              msgID: row.id,
              expect: { streamName: stream },
              timeout: settings.publishTimeoutMs,
            });
            outcome.acknowledged.push(row);
          } catch (err) {
            if (isRefusal(err)) outcome.refused.push({ row, error: String(err) });
            else outcome.away ??= err;
            break;
          }
        }
      }
    }

    await Promise.all(Array.from({ length: Math.min(PUBLISH_CONCURRENCY, subjects.length) }, publishSubjects));
    return outcome;
  }

  async function record({ acknowledged, refused }: BatchOutcome): Promise<void> {
    if (acknowledged.length > 0) {
      await sql`
        UPDATE event_outbox
        SET status = 'published', published_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE position IN ${sql(acknowledged.map((row) => row.position))} AND status = 'pending'`;
      state.published += acknowledged.length;
      if (catchUp) catchUp.published += acknowledged.length;
    }
    for (const { row, error } of refused) {
      const [parked] = await sql<{ status: string; attempts: number }[]>`
        UPDATE event_outbox
        SET attempts = attempts + 1, last_error = ${error},
            status = CASE WHEN attempts + 1 >= ${settings.maxAttempts} THEN 'failed' ELSE status END
        WHERE position = ${row.position} AND status = 'pending'
        RETURNING status, attempts`;
      if (parked?.status === 'failed') {
        log.error('event parked as failed: the broker kept refusing it', {
          eventId: row.id,
          type: row.type,
          subject: row.subject,
          sequence: row.sequence,
          attempts: parked.attempts,
          error,
        });
      }
    }
  }

  function brokerAway(err: unknown): void {
    if (state.brokerAvailable) {
      log.warn('the broker is away; events wait in the outbox', { error: String(err) });
      catchUp = { since: Date.now(), published: 0 };
    }
    state.brokerAvailable = false;
  }

  function brokerBack(): void {
    backoff.reset();
    if (state.brokerAvailable) return;
    state.brokerAvailable = true;
    log.info('the broker is back; catching up');
  }

  function caughtUp(): void {
    state.lagSeconds = 0;
    if (!catchUp || !state.brokerAvailable) return;
    log.info('caught up', { published: catchUp.published, seconds: (Date.now() - catchUp.since) / 1000 });
    catchUp = undefined;
  }

  function reportLag(batch: readonly OutboxRow[]): void {
    state.lagSeconds = Math.max(0, (Date.now() - new Date(batch[0]!.occurred_at).getTime()) / 1000);
    if (state.lagSeconds < LAG_REPORT_SECONDS || Date.now() - lastLagReport < LAG_REPORT_EVERY_MS) return;
    lastLagReport = Date.now();
    log.warn('the relay is behind', { lagSeconds: Math.round(state.lagSeconds), batch: batch.length });
  }

  return {
    start() {
      running ??= run();
    },
    async stop() {
      stopping.abort();
      wake.ring();
      await running;
    },
    status: () => ({ ...state }),
  };
}

/**
 * Whether the broker refused this message itself (and would again): too large, or rejected by
 * the stream. Anything else (no answer, no stream, the server unavailable) means the broker is
 * away, which no number of attempts may park an event for.
 */
function isRefusal(err: unknown): boolean {
  if (err instanceof InvalidArgumentError) return true; // larger than the server's max_payload
  return err instanceof JetStreamApiError && err.status >= 400 && err.status < 500 && err.code !== WRONG_STREAM;
}

/** A NOTIFY (or a stop) ends the wait early; one that arrives while nobody waits is kept for the next wait. */
class Wakeup {
  private rung = false;
  private waiter: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.waiter?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.rung) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    this.rung = false;
  }
}

/** Doubling waits with jitter, capped; reset after a success. */
class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

