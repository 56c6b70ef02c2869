import { Router } from 'express';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { listOrderPayments } from '../read-models/order-payment';
import { findVisibleOrder } from '../read-models/order';
import { orderParams } from '../schemas/ids';
import { parseInput } from '../validation';

/** The money side of an order (its charges and refunds), for admins and the customer who ordered. */
export function orderPaymentsRouter({ database: { db } }: RouteDeps): Router {
  const router = Router();

  router.get('/:orderId/payments', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    await findVisibleOrder(db, res.locals.principal, orderId);
    const entries = await listOrderPayments(db, orderId);
    sendData(res, 200, entries, { total: entries.length });
  });

  return router;
}
