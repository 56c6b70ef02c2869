import { z } from 'zod';
import { HOLD_STATUSES } from '../../domain/holds';
import { catalogId, serverId, timestamp } from './ids';
import { MAX_ORDER_ITEMS, requestedLine } from './orders';

/** Seconds, as the hold endpoints take them; the configured limits (HOLD_MAX_TTL) are checked by the route. */
const seconds = z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(31_536_000);

/** The caller's own notes on a hold (a cart id): a flat object of at most 4 kB of JSON, returned as given. */
const metadata = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 4096, 'must be at most 4096 characters of JSON');

export const reserveBody = z.strictObject({
  /** Required for admins; customers may omit it (it comes from their credential). */
  customerId: catalogId.optional(),
  items: z
    .array(requestedLine)
    .min(1, 'a hold needs at least one item')
    .max(MAX_ORDER_ITEMS, `a hold has at most ${MAX_ORDER_ITEMS} items`),
  /** How long to hold, in seconds: default RESERVATION_TTL, at most HOLD_MAX_TTL. */
  expiresIn: seconds.optional(),
  metadata: metadata.optional(),
});

export const releaseBody = z.strictObject({ reservationId: serverId });

/** The body is optional: without `by` the hold is extended by RESERVATION_TTL (up to its ceiling). */
export const extendBody = z.strictObject({ by: seconds.optional() }).default({});

export const holdParams = z.object({ reservationId: serverId });

export const stockHold = z.object({
  reservationId: serverId,
  customerId: catalogId,
  status: z.enum(HOLD_STATUSES),
  items: z.array(
    z.object({
      productId: catalogId,
      warehouseId: catalogId,
      quantity: z.number().int(),
      /** True while the hold holds the units. */
      reserved: z.boolean(),
    }),
  ),
  expiresAt: timestamp,
  /** The latest any extension may take expiresAt to (creation + HOLD_MAX_TTL). */
  maxExpiresAt: timestamp,
  extensions: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  /** The order placed on the hold, once converted. */
  orderId: serverId.optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type StockHoldJson = z.infer<typeof stockHold>;
