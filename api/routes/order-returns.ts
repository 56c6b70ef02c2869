import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { DomainError } from '../../domain/errors';
import { aggregateDemand, type StockLine } from '../../domain/stock';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { returnIdForIdempotencyKey } from '../idempotency';
import { allow } from '../middleware/authenticate';
import { findOrderReturn, listOrderReturns } from '../read-models/order-return';
import { findVisibleOrder } from '../read-models/order';
import { orderParams } from '../schemas/ids';
import { idempotencyHeaders } from '../schemas/orders';
import { returnBody, type OrderReturnJson } from '../schemas/returns';
import { parseInput } from '../validation';

/**
 * Returns of delivered goods, by the customer who ordered them (or an admin). The saga decides
 * whether the return window is still open and how much was delivered; the API reads the
 * recorded return back.
 */
export function orderReturnsRouter({ database: { db }, workflows }: RouteDeps): Router {
  const router = Router();
  router.use('/:orderId/returns', allow('admin', 'customer'));

  router.post('/:orderId/returns', async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    const body = parseInput('body', returnBody, req.body);
    const key = parseInput('headers', idempotencyHeaders, req.headers)['idempotency-key'];
    const principal = res.locals.principal;
    const order = await findVisibleOrder(db, principal, orderId);
    const items = body.items ? aggregateDemand(body.items) : null;
    const reason = body.reason ?? null;

    const returnId = key === undefined ? randomUUID() : returnIdForIdempotencyKey(principal, orderId, key);
    const earlier = key === undefined ? undefined : await findOrderReturn(db, returnId);
    if (earlier) {
      ensureSameReturn(earlier, items, reason);
      return sendData(res, 201, earlier);
    }
    // Only delivered goods come back; partly returned orders stay `delivered` until everything has.
    if (order.status !== 'delivered') {
      throw new DomainError('RETURN_NOT_ALLOWED', `order ${orderId} is ${order.status}; only delivered orders take returns`);
    }
    await workflows.takeReturn(orderId, { returnId, items, reason });
    const recorded = await findOrderReturn(db, returnId);
    if (!recorded) throw new Error(`return ${returnId} of order ${orderId} was accepted but has no row`);
    sendData(res, 201, recorded);
  });

  router.get('/:orderId/returns', async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    await findVisibleOrder(db, res.locals.principal, orderId);
    const returns = await listOrderReturns(db, orderId);
    sendData(res, 200, returns, { total: returns.length });
  });

  return router;
}

/**
 * A keyed repeat answers the return it made, unless the key now comes with other items or another
 * reason (a request without items meant "everything left", which the recorded items already are).
 */
function ensureSameReturn(earlier: OrderReturnJson, items: StockLine[] | null, reason: string | null): void {
  const sameItems =
    items === null ||
    JSON.stringify(items) ===
      JSON.stringify(aggregateDemand(earlier.items));
  if (!sameItems || reason !== earlier.reason) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
  }
}
