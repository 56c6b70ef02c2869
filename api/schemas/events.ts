import { z } from 'zod';
import { decodeCursor } from '../../db/event-feed';
import { EVENT_TYPES } from '../../domain/events';
import { paginationQuery } from '../pagination';
import { serverId, timestamp } from './ids';

export const feedQuery = z.strictObject({
  /** `meta.next` of the previous page; omitted: from the oldest event. */
  after: z
    .string()
    .max(64)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this service gave out (meta.next)' });
        return z.NEVER;
      }
      return cursor;
    })
    .optional(),
  type: z.enum(EVENT_TYPES).optional(),
  /** An order id, or `productId/warehouseId`. */
  subject: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(100),
});

export const failedEventsQuery = paginationQuery;
export const eventParams = z.object({ eventId: serverId });

export const eventEnvelope = z.object({
  id: serverId,
  type: z.enum(EVENT_TYPES),
  source: z.literal('order-service'),
  dataVersion: z.literal('1.0'),
  timestamp,
  correlationId: z.string().nullable(),
  /** The order id, or `productId/warehouseId` for stock events. */
  subject: z.string(),
  /** Counts the subject's events from 1 without gaps. */
  sequence: z.number().int(),
  data: z.record(z.string(), z.unknown()),
});

/** An event with how its publishing went: GET /events/failed and POST /events/{id}/retry. */
export const relayedEvent = eventEnvelope.extend({
  status: z.enum(['pending', 'published', 'failed']),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
});

/** `meta` of the feed besides the request id. */
export const feedMeta = z.object({
  limit: z.number().int(),
  /** Pass as `after` to read on; the cursor you sent when nothing newer is there yet. */
  next: z.string().nullable(),
});

export type RelayedEventJson = z.infer<typeof relayedEvent>;
