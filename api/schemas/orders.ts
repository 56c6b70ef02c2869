import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order';
import { RESERVATION_STATUSES } from '../../domain/stock';
import { paginationQuery } from '../pagination';
import { catalogId, serverId, timestamp } from './ids';
import { quantity } from './quantity';
import { voucherCode } from './vouchers';

export const MAX_ORDER_ITEMS = 100;

/** One line a client asks for, of an order or a stock hold. */
export const requestedLine = z.strictObject({
  productId: catalogId,
  /** Omitted: the server allocates, by warehouse priority, splitting the line if it must. */
  warehouseId: catalogId.optional(),
  quantity,
});

export const placeOrderBody = z.strictObject({
  /** Required for admins; customers may omit it (it comes from their credential). */
  customerId: catalogId.optional(),
  items: z
    .array(requestedLine)
    .min(1, 'an order needs at least one item')
    .max(MAX_ORDER_ITEMS, `an order has at most ${MAX_ORDER_ITEMS} items`),
  shippingAddress: z.string().trim().min(1).max(500),
  voucherCode: voucherCode.nullable().optional(),
  /** A stock hold of the customer's (POST /inventory/reserve) whose units the order takes over. */
  reservationId: serverId.optional(),
});

export type PlaceOrderBody = z.output<typeof placeOrderBody>;

/** The optional Idempotency-Key header of POST /orders and POST /orders/{id}/returns (Node lower-cases header names). */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x20-\x7E]{1,255}$/, 'must be 1-255 printable ASCII characters')
    .optional(),
});

/** The body is optional: no token is the sandbox's default card. */
export const paymentBody = z
  .strictObject({ paymentToken: z.string().min(1).max(255).nullable().optional() })
  .default({});

/** The body is optional. */
export const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).nullable().optional() }).default({});

export const listOrdersQuery = paginationQuery.extend({
  customerId: catalogId.optional(),
  status: z.enum(ORDER_STATUSES).optional(),
});

export const order = z.object({
  id: serverId,
  customerId: catalogId,
  status: z.enum(ORDER_STATUSES),
  items: z.array(
    z.object({
      productId: catalogId,
      warehouseId: catalogId,
      quantity: z.number().int(),
      unitPrice: z.number().int(),
      lineTotal: z.number().int(),
    }),
  ),
  subtotal: z.number().int(),
  discount: z.number().int(),
  total: z.number().int(),
  currency: z.string(),
  shippingAddress: z.string(),
  voucherCode: z.string().nullable(),
  reservationExpiresAt: timestamp.nullable(),
  deliveryOrderIds: z.array(serverId),
  cancelReason: z.string().nullable(),
  /** Why a `rejected` order could not be placed; null otherwise. */
  rejection: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  links: z.object({ self: z.string(), temporalUi: z.url() }),
});

/** Without `by` the reservation is pushed out by RESERVATION_TTL (up to HOLD_MAX_TTL from placing). */
export const extendReservationBody = z
  .strictObject({
    by: z.number().int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(31_536_000).optional(),
  })
  .default({});

/** An unpaid order's reservation after an extension. */
export const reservationExtension = z.object({
  orderId: serverId,
  status: z.literal('awaiting_payment'),
  /** When the stock is now released unless the order is paid. */
  expiresAt: timestamp,
});

export const reservation = z.object({
  id: serverId,
  productId: catalogId,
  warehouseId: catalogId,
  quantity: z.number().int(),
  status: z.enum(RESERVATION_STATUSES),
  expiresAt: timestamp,
  /** The stock hold these units were held by before the order took them over (POST /orders with reservationId). */
  holdId: serverId.optional(),
});

export type OrderJson = z.infer<typeof order>;
export type ReservationJson = z.infer<typeof reservation>;
