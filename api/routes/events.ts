import { Router } from 'express';
import { encodeCursor, readEventFeed } from '../../db/event-feed';
import { listFailedEvents, retryFailedEvent, toEnvelope, type OutboxRow } from '../../db/outbox';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { offsetOf, pageMeta } from '../pagination';
import { eventParams, failedEventsQuery, feedQuery, type RelayedEventJson } from '../schemas/events';
import { parseInput } from '../validation';

/**
 * The outbox, for admins: the event feed for consumers that poll instead of subscribing, and the
 * events the relay gave up on, with a retry.
 */
export function eventsRouter({ database: { db } }: RouteDeps): Router {
  const router = Router();
  router.use(allow('admin'));

  router.get('/', async (req, res) => {
    const query = parseInput('query', feedQuery, req.query);
    const { events, last } = await readEventFeed(db, { ...query, after: query.after ?? null });
    const next = last ?? query.after ?? null;
    sendData(res, 200, events, { limit: query.limit, next: next && encodeCursor(next) });
  });

  router.get('/failed', async (req, res) => {
    const page = parseInput('query', failedEventsQuery, req.query);
    const { rows, total } = await listFailedEvents(db, { limit: page.limit, offset: offsetOf(page) });
    sendData(res, 200, rows.map(toRelayedEventJson), pageMeta(page, total));
  });

  router.post('/:eventId/retry', async (req, res) => {
    const { eventId } = parseInput('params', eventParams, req.params);
    const outcome = await retryFailedEvent(db, eventId);
    if (!outcome) throw new DomainError('NOT_FOUND', `event ${eventId} does not exist`);
    if (!outcome.retried) {
      throw new DomainError('EVENT_NOT_FAILED', `event ${eventId} is ${outcome.row.status}: only failed events are retried`, {
        status: outcome.row.status,
      });
    }
    sendData(res, 200, toRelayedEventJson(outcome.row));
  });

  return router;
}

function toRelayedEventJson(row: OutboxRow): RelayedEventJson {
  return {
    ...(toEnvelope(row) as Omit<RelayedEventJson, 'status' | 'attempts' | 'lastError'>),
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
