import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { aggregateDemand } from '../../domain/stock';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { oncePerKey, returnIdForIdempotencyKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { allow } from '../middleware/authenticate';
import { findOrderReturn, listOrderReturns } from '../read-models/order-return';
import { findVisibleOrder } from '../read-models/order';
import { orderParams } from '../schemas/ids';
import { returnBody } from '../schemas/returns';
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
    const items = body.items ? aggregateDemand(body.items) : null;
    const reason = body.reason ?? null;
    const keyed = keyedRequest(req, res, 'return', orderId, { items, reason });
    await findVisibleOrder(db, res.locals.principal, orderId);

    // Keyed: the return id comes from the key, so a repeat whose answer was lost finds its return.
    // Without a key a retry is a new return, and the saga refuses one of what already came back.
    const returnId = keyed ? returnIdForIdempotencyKey(res.locals.principal, orderId, keyed.key) : randomUUID();
    await oncePerKey(db, keyed, async () => {
      if (keyed && (await findOrderReturn(db, returnId))) return 201;
      // The saga decides (window, what is left), under the same lock as every other change of the order.
      await workflows.takeReturn(orderId, { returnId, items, reason }, updateIdFor(keyed));
      return 201;
    });
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
