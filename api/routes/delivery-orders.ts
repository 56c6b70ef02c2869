import { Router } from 'express';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { pageMeta } from '../pagination';
import {
  findDeliveryOrderRow,
  listDeliveryOrderRows,
  toDeliveryOrderJson,
  type DeliveryOrderRow,
} from '../read-models/delivery-order';
import { listDeliveryOrdersQuery } from '../schemas/delivery-orders';
import { deliveryOrderParams } from '../schemas/ids';
import { parseInput } from '../validation';

/** Delivery orders, for the warehouse (and admins). Shipping and delivering go through the saga. */
export function deliveryOrdersRouter({ database: { db }, workflows }: RouteDeps): Router {
  const router = Router();
  router.use(allow('admin', 'warehouse'));

  const deliveryOrder = async (id: string): Promise<DeliveryOrderRow> => {
    const row = await findDeliveryOrderRow(db, id);
    if (!row) throw new DomainError('DELIVERY_ORDER_NOT_FOUND', `delivery order ${id} does not exist`);
    return row;
  };

  router.get('/', async (req, res) => {
    const query = parseInput('query', listDeliveryOrdersQuery, req.query);
    const [rows, total] = await listDeliveryOrderRows(db, query, query);
    sendData(res, 200, await toDeliveryOrderJson(db, rows), pageMeta(query, total));
  });

  router.get('/:deliveryOrderId', async (req, res) => {
    const { deliveryOrderId } = parseInput('params', deliveryOrderParams, req.params);
    const [json] = await toDeliveryOrderJson(db, [await deliveryOrder(deliveryOrderId)]);
    sendData(res, 200, json);
  });

  for (const [path, move] of [
    ['ship', 'ship'],
    ['deliver', 'deliver'],
  ] as const) {
    // The saga decides, under the same lock as a cancel of the order, and answers once the move
    // is applied: 200 with the moved delivery order, or 409 when it cannot move (a cancel won).
    router.post(`/:deliveryOrderId/${path}`, async (req, res) => {
      const { deliveryOrderId } = parseInput('params', deliveryOrderParams, req.params);
      const row = await deliveryOrder(deliveryOrderId);
      await workflows[move](row.orderId, deliveryOrderId);
      const [json] = await toDeliveryOrderJson(db, [await deliveryOrder(deliveryOrderId)]);
      sendData(res, 200, json);
    });
  }

  return router;
}
