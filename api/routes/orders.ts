import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { DomainError, isErrorCode } from '../../domain/errors';
import type { OrderStatus } from '../../domain/order';
import type { RouteDeps } from '../app';
import { customerIdFor } from '../auth/ownership';
import { warehouseScopeOf } from '../auth/warehouse-scope';
import { sendData } from '../envelope';
import { keyedRequest } from '../keyed-request';
import { oncePerKey, orderIdForIdempotencyKey, requestHashOf, updateIdFor } from '../idempotency';
import { SagaFinishedError } from '../order-workflows';
import { allow } from '../middleware/authenticate';
import { pageMeta } from '../pagination';
import { catalogFor } from '../../db/catalog';
import { deliveryOrderRowsOf, toDeliveryOrderJson } from '../read-models/delivery-order';
import {
  findOrderRow,
  findReservations,
  findVisibleOrder,
  listOrderRows,
  toOrderJson,
  type OrderRow,
} from '../read-models/order';
import { orderParams } from '../schemas/ids';
import { cancelBody, idempotencyHeaders, listOrdersQuery, paymentBody, placeOrderBody } from '../schemas/orders';
import { parseInput } from '../validation';

/** Orders: customers place and manage their own; admins any. Every change goes through the saga. */
export function ordersRouter({ config, database: { db }, workflows, links }: RouteDeps): Router {
  const router = Router();

  const orderJson = async (row: OrderRow) => (await toOrderJson(db, [row], links))[0]!;

  const visibleOrder = (res: Response, orderId: string) => findVisibleOrder(db, res.locals.principal, orderId);

  /** Reads the order back after the saga acted: its activities have already written the change. */
  const currentOrder = async (orderId: string) => {
    const row = await findOrderRow(db, orderId);
    if (!row) throw new Error(`order ${orderId} vanished from the orders table`);
    return orderJson(row);
  };

  router.post('/', allow('admin', 'customer'), async (req, res) => {
    const body = parseInput('body', placeOrderBody, req.body);
    const key = parseInput('headers', idempotencyHeaders, req.headers)['idempotency-key'];
    const principal = res.locals.principal;
    const customerId = customerIdFor(principal, body.customerId);
    const request = {
      customerId,
      // No warehouse named: the saga allocates one (or several).
      items: body.items.map((item) => ({ ...item, warehouseId: item.warehouseId ?? null })),
      shippingAddress: body.shippingAddress,
      voucherCode: body.voucherCode ?? null,
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
    const placement = await workflows.place({
      orderId,
      ...request,
      requestHash,
      reservationTtlMs: config.RESERVATION_TTL,
      paymentTimeoutMs: config.PAYMENT_TIMEOUT,
      returnWindowMs: config.RETURN_WINDOW,
    });
    const row = await findOrderRow(db, orderId);
    if (placement === 'closed') answerAsBefore(row, orderId, requestHash);
    if (!row) throw new Error(`order ${orderId} was placed but has no row`);
    sendData(res, 201, await orderJson(row));
  });

  router.get('/', allow('admin', 'customer'), async (req, res) => {
    const query = parseInput('query', listOrdersQuery, req.query);
    const principal = res.locals.principal;
    const ownOnly = principal.role === 'customer';
    if (ownOnly && query.customerId !== undefined && query.customerId !== principal.subject) {
      throw new DomainError('FORBIDDEN', 'customers can list only their own orders');
    }
    const customerId = ownOnly ? principal.subject! : query.customerId;
    const [rows, total] = await listOrderRows(db, { customerId, status: query.status }, query);
    sendData(res, 200, await toOrderJson(db, rows, links), pageMeta(query, total));
  });

  router.get('/:orderId', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    sendData(res, 200, await orderJson(await visibleOrder(res, orderId)));
  });

  // Pay and cancel are decided by the saga from its own state, never from the read model (which
  // may be a moment behind): the saga serialises them with each other, the expiry and shipments.
  router.post('/:orderId/payment', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    const body = parseInput('body', paymentBody, req.body);
    const payment = { paymentToken: body.paymentToken ?? null };
    const keyed = keyedRequest(req, res, 'pay', orderId, payment);
    await visibleOrder(res, orderId);
    const status = await oncePerKey(db, keyed, async (repeat) => {
      try {
        await workflows.pay(orderId, payment, updateIdFor(keyed));
      } catch (err) {
        // The first answer was lost and the saga has since ended: what it left says whether it paid.
        if (!(repeat && err instanceof SagaFinishedError && PAID.includes((await findOrderRow(db, orderId))!.status as OrderStatus))) {
          throw err;
        }
      }
      return 200;
    });
    sendData(res, status, await currentOrder(orderId));
  });

  router.post('/:orderId/cancel', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    const body = parseInput('body', cancelBody, req.body);
    const cancel = { reason: body.reason ?? null };
    const keyed = keyedRequest(req, res, 'cancel', orderId, cancel);
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
  });

  router.get('/:orderId/reservations', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    await visibleOrder(res, orderId);
    const reservations = await findReservations(db, orderId);
    sendData(res, 200, reservations, { total: reservations.length });
  });

  router.get('/:orderId/delivery-orders', allow('admin', 'customer', 'warehouse'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    await visibleOrder(res, orderId);
    const scope = warehouseScopeOf(res);
    const rows = (await deliveryOrderRowsOf(db, orderId)).filter((row) => scope === undefined || row.warehouseId === scope);
    const deliveries = await toDeliveryOrderJson(db, rows);
    sendData(res, 200, deliveries, { total: deliveries.length });
  });

  return router;
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
