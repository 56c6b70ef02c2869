import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import { DomainError, isErrorCode } from '../../domain/errors';
import { fromTemporalFailure } from '../../domain/failure';
import type { KeyedRequest } from '../../db/idempotency-keys';
import type { PaymentRequest } from '../../workflows/messages';
import type { OrderStatus } from '../../domain/order';
import type { RouteDeps } from '../app';
import { customerIdFor } from '../auth/ownership';
import { warehouseScopeOf } from '../auth/warehouse-scope';
import { sendData } from '../envelope';
import { keyedRequest } from '../keyed-request';
import { oncePerKey, orderIdForIdempotencyKey, requestHashOf, updateIdFor } from '../idempotency';
import { SagaFinishedError } from '../order-workflows';
import { pageMeta, pageMetaSchema } from '../pagination';
import { catalogFor } from '../../db/catalog';
import { deliveryOrderRowsOf, toDeliveryOrderJson } from '../read-models/delivery-order';
import {
  findOrderRow,
  findReservations,
  findVisibleOrder,
  listOrderRows,
  toOrderJson,
  VISIBLE_ORDER_ERRORS,
  type OrderRow,
} from '../read-models/order';
import { findVisibleHold } from '../read-models/hold';
import { route, type Route } from '../route';
import { orderListRoute } from './order-list';
import { deliveryOrder } from '../schemas/delivery-orders';
import { orderParams } from '../schemas/ids';
import {
  cancelBody,
  extendReservationBody,
  idempotencyHeaders,
  listOrdersQuery,
  order,
  paymentBody,
  placeOrderBody,
  reservation,
  reservationExtension,
} from '../schemas/orders';

/** Orders: customers place and manage their own; admins any. Every change goes through the saga. */
export function ordersRoutes({ config, database: { db }, workflows, links }: RouteDeps): Route[] {
  const orderJson = async (row: OrderRow) => (await toOrderJson(db, [row], links))[0]!;

  const visibleOrder = (res: Response, orderId: string) => findVisibleOrder(db, res.locals.principal, orderId);

  /** Reads the order back after the saga acted: its activities have already written the change. */
  const currentOrder = async (orderId: string) => {
    const row = await findOrderRow(db, orderId);
    if (!row) throw new Error(`order ${orderId} vanished from the orders table`);
    return orderJson(row);
  };

  /**
   * One pay update per keyed request, so a repeat reaches the charge the first one started. But a
   * first attempt the saga answered PAYMENT_UNAVAILABLE (nothing charged, the order still payable)
   * left that answer on its update for good, and a storefront retrying a 503 with its key must
   * get a new try: the repeat asks again under a fresh update id. The charge itself reuses its
   * provider key, so even a charge the silent provider did take is not taken twice.
   */
  const payOnce = async (orderId: string, payment: PaymentRequest, keyed: KeyedRequest | undefined, repeat: boolean) => {
    try {
      await workflows.pay(orderId, payment, updateIdFor(keyed));
    } catch (err) {
      const { updateId } = updateIdFor(keyed);
      if (!(repeat && updateId && fromTemporalFailure(err)?.code === 'PAYMENT_UNAVAILABLE')) throw err;
      await workflows.pay(orderId, payment, { updateId: `${updateId}:${randomUUID()}` });
    }
  };

  /**
   * The hold an order is to be placed on: the caller's (another customer's answers 404, as it does
   * for the hold itself) and the order's customer's. Whether it is still active is the hold
   * workflow's to decide, when the saga adopts it; a hold already over is refused here at once.
   */
  const holdToPlaceOn = async (res: Response, holdId: string, customerId: string) => {
    const hold = await findVisibleHold(db, res.locals.principal, holdId);
    if (hold.customerId !== customerId) {
      throw new DomainError('HOLD_MISMATCH', `stock hold ${holdId} belongs to another customer than the order`, { reservationId: holdId });
    }
    if (hold.status !== 'active') {
      throw new DomainError('HOLD_NOT_ACTIVE', `stock hold ${holdId} is ${hold.status}, not active`, {
        reservationId: holdId,
        status: hold.status,
      });
    }
  };

  return [
    route({
      method: 'post',
      path: '/orders',
      summary: 'Place an order: returns once stock is reserved (awaiting_payment) or refused',
      description:
        'Prices come from the catalog. A repeat with the same Idempotency-Key and body answers the same order; ' +
        'the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. With reservationId the order takes over ' +
        "that stock hold's units (nothing is reserved again, the hold ends converted): 409 HOLD_MISMATCH for other " +
        'items or quantities, 409 HOLD_NOT_ACTIVE once it expired, was released or converted.',
      access: ['admin', 'customer'],
      headers: idempotencyHeaders,
      body: placeOrderBody,
      answers: [{ status: 201, data: order }],
      errors: [
        'FORBIDDEN',
        'CUSTOMER_NOT_ALLOWED',
        'INSUFFICIENT_INVENTORY',
        'UNKNOWN_PRODUCT',
        'UNKNOWN_WAREHOUSE',
        'VOUCHER_UNAVAILABLE',
        'IDEMPOTENCY_KEY_REUSED',
        'NOT_FOUND',
        'HOLD_MISMATCH',
        'HOLD_NOT_ACTIVE',
      ],
      handle: async ({ headers, body }, res) => {
        const key = headers['idempotency-key'];
        const principal = res.locals.principal;
        const customerId = customerIdFor(principal, body.customerId);
        const request = {
          customerId,
          // No warehouse named: the saga allocates one (or several).
          items: body.items.map((item) => ({ ...item, warehouseId: item.warehouseId ?? null })),
          shippingAddress: body.shippingAddress,
          voucherCode: body.voucherCode ?? null,
          ...(body.reservationId === undefined ? {} : { reservationId: body.reservationId }),
        };
        const requestHash = requestHashOf(request);
        const orderId = key === undefined ? randomUUID() : orderIdForIdempotencyKey(principal, key);

        // A keyed repeat of an order that exists is answered from the database, whether its saga
        // still runs or is long gone: nothing is started over an order already placed.
        const earlier = key === undefined ? undefined : await findOrderRow(db, orderId);
        if (earlier) {
          answerAsBefore(earlier, orderId, requestHash);
          return sendData(res, 201, await orderJson(earlier));
        }
        // Unknown products or warehouses are bad input: refused before any saga starts. The customer
        // and the voucher are the saga's to judge (its validateCustomer and redeemVoucher steps).
        await catalogFor(db, body.items);
        if (body.reservationId !== undefined) await holdToPlaceOn(res, body.reservationId, customerId);
        const placement = await workflows.place({
          orderId,
          ...request,
          requestHash,
          reservationTtlMs: config.RESERVATION_TTL,
          paymentTimeoutMs: config.PAYMENT_TIMEOUT,
          returnWindowMs: config.RETURN_WINDOW,
          extensions: { maxTotalMs: config.HOLD_MAX_TTL, maxCount: config.RESERVATION_MAX_EXTENSIONS },
        });
        const row = await findOrderRow(db, orderId);
        if (placement === 'closed') answerAsBefore(row, orderId, requestHash);
        if (!row) throw new Error(`order ${orderId} was placed but has no row`);
        sendData(res, 201, await orderJson(row));
      },
    }),
    route({
      method: 'get',
      path: '/orders',
      summary: 'Orders, newest first (customers: their own)',
      access: ['admin', 'customer'],
      query: listOrdersQuery,
      answers: [{ status: 200, data: z.array(order), meta: pageMetaSchema }],
      errors: ['FORBIDDEN'],
      handle: async ({ query }, res) => {
        const principal = res.locals.principal;
        const ownOnly = principal.role === 'customer';
        if (ownOnly && query.customerId !== undefined && query.customerId !== principal.subject) {
          throw new DomainError('FORBIDDEN', 'customers can list only their own orders');
        }
        const customerId = ownOnly ? principal.subject! : query.customerId;
        const [rows, total] = await listOrderRows(db, { customerId, status: query.status }, query);
        sendData(res, 200, await toOrderJson(db, rows, links), pageMeta(query, total));
      },
    }),
    route({
      method: 'get',
      path: '/orders/{orderId}',
      summary: 'One order',
      access: ['admin', 'customer'],
      params: orderParams,
      answers: [{ status: 200, data: order }],
      errors: VISIBLE_ORDER_ERRORS,
      handle: async ({ params: { orderId } }, res) => sendData(res, 200, await orderJson(await visibleOrder(res, orderId))),
    }),
    // Pay and cancel are decided by the saga from its own state, never from the read model (which
    // may be a moment behind): the saga serialises them with each other, the expiry and shipments.
    route({
      method: 'post',
      path: '/orders/{orderId}/payment',
      summary: 'Pay: 200 with the order confirmed and its delivery orders created',
      description: 'A declined card leaves the order payable until its deadline; so does a provider that did not answer (503).',
      access: ['admin', 'customer'],
      params: orderParams,
      headers: idempotencyHeaders,
      body: paymentBody,
      answers: [{ status: 200, data: order }],
      errors: [...VISIBLE_ORDER_ERRORS, 'PAYMENT_DECLINED', 'ORDER_NOT_PAYABLE', 'PAYMENT_UNAVAILABLE', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ params: { orderId }, headers, body }, res) => {
        const payment = { paymentToken: body.paymentToken ?? null };
        const keyed = keyedRequest(res, headers['idempotency-key'], 'pay', orderId, payment);
        await visibleOrder(res, orderId);
        const status = await oncePerKey(db, keyed, async (repeat) => {
          try {
            await payOnce(orderId, payment, keyed, repeat);
          } catch (err) {
            // The first answer was lost and the saga has since ended: what it left says whether it paid.
            if (!(repeat && err instanceof SagaFinishedError && PAID.includes((await findOrderRow(db, orderId))!.status as OrderStatus))) {
              throw err;
            }
          }
          return 200;
        });
        sendData(res, status, await currentOrder(orderId));
      },
    }),
    route({
      method: 'post',
      path: '/orders/{orderId}/extend-reservation',
      summary: "Push an unpaid order's reservation out by `by` seconds (default RESERVATION_TTL)",
      description:
        'At most RESERVATION_MAX_EXTENSIONS times and never past HOLD_MAX_TTL from placing; decided by the saga, ' +
        'so it never races the expiry, a payment or a cancel. A payment that starts in the last minute extends ' +
        'the reservation once by itself.',
      access: ['admin', 'customer'],
      params: orderParams,
      headers: idempotencyHeaders,
      body: extendReservationBody,
      answers: [{ status: 200, data: reservationExtension }],
      errors: [...VISIBLE_ORDER_ERRORS, 'RESERVATION_NOT_EXTENDABLE', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ params: { orderId }, headers, body }, res) => {
        const extension = { byMs: (body.by ?? config.RESERVATION_TTL / 1000) * 1000 };
        const keyed = keyedRequest(res, headers['idempotency-key'], 'extend-reservation', orderId, extension);
        await visibleOrder(res, orderId);
        await oncePerKey(db, keyed, async () => {
          await workflows.extendReservation(orderId, extension, updateIdFor(keyed));
          return 200;
        });
        // The saga's activity wrote the new expiry before the update answered.
        const row = (await findOrderRow(db, orderId))!;
        if (row.status !== 'awaiting_payment' || !row.reservationExpiresAt) {
          // A keyed repeat whose first answer was lost, the order since paid or ended.
          throw new DomainError('RESERVATION_NOT_EXTENDABLE', `order ${orderId} is ${row.status}, not awaiting payment`);
        }
        sendData(res, 200, { orderId, status: row.status, expiresAt: row.reservationExpiresAt.toISOString() });
      },
    }),
    route({
      method: 'post',
      path: '/orders/{orderId}/cancel',
      summary: 'Cancel before shipment',
      description:
        'The stock is released (or, once paid, restocked with the payment refunded and the delivery orders ' +
        'cancelled) before the answer.',
      access: ['admin', 'customer'],
      params: orderParams,
      headers: idempotencyHeaders,
      body: cancelBody,
      answers: [{ status: 200, data: order }],
      errors: [...VISIBLE_ORDER_ERRORS, 'ORDER_NOT_CANCELLABLE', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ params: { orderId }, headers, body }, res) => {
        const cancel = { reason: body.reason ?? null };
        const keyed = keyedRequest(res, headers['idempotency-key'], 'cancel', orderId, cancel);
        await visibleOrder(res, orderId);
        const status = await oncePerKey(db, keyed, async (repeat) => {
          try {
            await workflows.cancel(orderId, cancel, updateIdFor(keyed));
          } catch (err) {
            if (!(repeat && err instanceof SagaFinishedError && (await findOrderRow(db, orderId))!.status === 'cancelled')) throw err;
          }
          return 200;
        });
        sendData(res, status, await currentOrder(orderId));
      },
    }),
    orderListRoute(db, {
      what: 'reservations',
      summary: "The order's stock holds",
      item: reservation,
      read: (orderId) => findReservations(db, orderId),
    }),
    orderListRoute(db, {
      what: 'delivery-orders',
      summary: "The order's delivery orders (a scoped warehouse credential: its own warehouse's)",
      item: deliveryOrder,
      access: ['admin', 'customer', 'warehouse'],
      read: async (orderId, res) => {
        const scope = warehouseScopeOf(res);
        const rows = (await deliveryOrderRowsOf(db, orderId)).filter((row) => scope === undefined || row.warehouseId === scope);
        return toDeliveryOrderJson(db, rows);
      },
    }),
  ];
}

/** Statuses of an order that was paid. */
const PAID: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered', 'returned'];

/**
 * A keyed repeat whose saga has already finished is answered from what was stored: the same
 * order, the same refusal, or 422 when the key came with a different request.
 */
function answerAsBefore(row: OrderRow | undefined, orderId: string, requestHash: string): void {
  if (!row) {
    // The saga was cancelled or failed before it reserved anything: the first answer was the same.
    throw new DomainError(
      'INVENTORY_UNAVAILABLE',
      `the saga of order ${orderId} ended before stock was reserved; place the order again with a new Idempotency-Key`,
    );
  }
  if (row.requestHash !== requestHash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
  }
  if (row.status !== 'rejected') return;
  const rejection = row.rejection as { code?: unknown; message?: unknown; details?: unknown } | null;
  if (!rejection || !isErrorCode(rejection.code)) throw new Error(`rejected order ${orderId} has no stored refusal`);
  throw new DomainError(rejection.code, String(rejection.message ?? 'the order could not be placed'), rejection.details);
}
