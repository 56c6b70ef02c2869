import { Router, type Response } from 'express';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { warehouseScopeOf } from '../auth/warehouse-scope';
import { sendData } from '../envelope';
import { oncePerKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { allow } from '../middleware/authenticate';
import { SagaFinishedError } from '../order-workflows';
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

const MOVES = [
  { path: 'ship', move: 'ship', status: 'shipped' },
  { path: 'deliver', move: 'deliver', status: 'delivered' },
] as const;

/**
 * Delivery orders, for the warehouse (and admins). A warehouse credential with a subject sees and
 * moves only its own warehouse's. Shipping and delivering go through the saga.
 */
export function deliveryOrdersRouter({ database: { db }, workflows }: RouteDeps): Router {
  const router = Router();
  router.use(allow('admin', 'warehouse'));

  /** The delivery order, if the caller may see it; another warehouse's is as good as absent. */
  const visibleDeliveryOrder = async (res: Response, id: string): Promise<DeliveryOrderRow> => {
    const row = await findDeliveryOrderRow(db, id);
    const scope = warehouseScopeOf(res);
    if (!row || (scope !== undefined && row.warehouseId !== scope)) {
      throw new DomainError('DELIVERY_ORDER_NOT_FOUND', `delivery order ${id} does not exist`);
    }
    return row;
  };

  router.get('/', async (req, res) => {
    const query = parseInput('query', listDeliveryOrdersQuery, req.query);
    const scope = warehouseScopeOf(res);
    // A scoped credential asking for another warehouse's list finds nothing, as for one that does not exist.
    if (scope !== undefined && query.warehouseId !== undefined && query.warehouseId !== scope) {
      return sendData(res, 200, [], pageMeta(query, 0));
    }
    const [rows, total] = await listDeliveryOrderRows(db, { ...query, warehouseId: scope ?? query.warehouseId }, query);
    sendData(res, 200, await toDeliveryOrderJson(db, rows), pageMeta(query, total));
  });

  router.get('/:deliveryOrderId', async (req, res) => {
    const { deliveryOrderId } = parseInput('params', deliveryOrderParams, req.params);
    const [json] = await toDeliveryOrderJson(db, [await visibleDeliveryOrder(res, deliveryOrderId)]);
    sendData(res, 200, json);
  });

  for (const { path, move, status } of MOVES) {
    // The saga decides, under the same lock as a cancel of the order, and answers once the move
    // is applied: 200 with the moved delivery order, or 409 when it cannot move (a cancel won).
    // The answer is definitive, never "accepted, maybe".
    router.post(`/:deliveryOrderId/${path}`, async (req, res) => {
      const { deliveryOrderId } = parseInput('params', deliveryOrderParams, req.params);
      const keyed = keyedRequest(req, res, move, deliveryOrderId, {});
      const row = await visibleDeliveryOrder(res, deliveryOrderId);
      const answer = await oncePerKey(db, keyed, async (repeat) => {
        try {
          await workflows[move](row.orderId, deliveryOrderId, updateIdFor(keyed));
        } catch (err) {
          // The first answer was lost and the saga has since ended: the delivery order says whether it moved.
          if (!(repeat && err instanceof SagaFinishedError && (await findDeliveryOrderRow(db, deliveryOrderId))?.status === status)) {
            throw err;
          }
        }
        return 200;
      });
      const [json] = await toDeliveryOrderJson(db, [await visibleDeliveryOrder(res, deliveryOrderId)]);
      sendData(res, answer, json);
    });
  }

  return router;
}
