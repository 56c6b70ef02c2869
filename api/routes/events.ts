import { z } from 'zod';
import { encodeCursor, readEventFeed } from '../../db/event-feed';
import { listFailedEvents, retryFailedEvent, toEnvelope, type OutboxRow } from '../../db/outbox';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { offsetOf, pageMeta, pageMetaSchema } from '../pagination';
import { route, type Route } from '../route';
import {
  eventEnvelope,
  eventParams,
  failedEventsQuery,
  feedMeta,
  feedQuery,
  relayedEvent,
  type RelayedEventJson,
} from '../schemas/events';

/**
 * The outbox, for admins: the event feed for consumers that poll instead of subscribing, and the
 * events the relay gave up on, with a retry.
 */
export function eventsRoutes({ database: { db } }: RouteDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/events',
      summary: 'Events, oldest first, for consumers that poll instead of subscribing',
      description: 'Pass `meta.next` as `after` to read on. Within a subject, `sequence` counts from 1 without gaps.',
      access: ['admin'],
      query: feedQuery,
      answers: [{ status: 200, data: z.array(eventEnvelope), meta: feedMeta }],
      handle: async ({ query }, res) => {
        const { events, last } = await readEventFeed(db, { ...query, after: query.after ?? null });
        const next = last ?? query.after ?? null;
        sendData(res, 200, events, { limit: query.limit, next: next && encodeCursor(next) });
      },
    }),
    route({
      method: 'get',
      path: '/events/failed',
      summary: 'Events the relay gave up on (the broker refused them OUTBOX_MAX_ATTEMPTS times), oldest first',
      access: ['admin'],
      query: failedEventsQuery,
      answers: [{ status: 200, data: z.array(relayedEvent), meta: pageMetaSchema }],
      handle: async ({ query: page }, res) => {
        const { rows, total } = await listFailedEvents(db, { limit: page.limit, offset: offsetOf(page) });
        sendData(res, 200, rows.map(toRelayedEventJson), pageMeta(page, total));
      },
    }),
    route({
      method: 'post',
      path: '/events/{eventId}/retry',
      summary: 'Put a failed event back in line for the relay (its attempts counted afresh)',
      access: ['admin'],
      params: eventParams,
      answers: [{ status: 200, data: relayedEvent }],
      errors: ['NOT_FOUND', 'EVENT_NOT_FAILED'],
      handle: async ({ params: { eventId } }, res) => {
        const outcome = await retryFailedEvent(db, eventId);
        if (!outcome) throw new DomainError('NOT_FOUND', `event ${eventId} does not exist`);
        if (!outcome.retried) {
          throw new DomainError('EVENT_NOT_FAILED', `event ${eventId} is ${outcome.row.status}: only failed events are retried`, {
            status: outcome.row.status,
          });
        }
        sendData(res, 200, toRelayedEventJson(outcome.row));
      },
    }),
  ];
}

function toRelayedEventJson(row: OutboxRow): RelayedEventJson {
  return {
    ...(toEnvelope(row) as Omit<RelayedEventJson, 'status' | 'attempts' | 'lastError'>),
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
