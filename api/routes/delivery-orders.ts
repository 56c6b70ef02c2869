import { setTimeout as sleep } from 'node:timers/promises';
import { Router } from 'express';
import type { Db } from '../../db/client';
import { DomainError, type ErrorCode } from '../../domain/errors';
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
import type { DeliveryOrderStatus } from '../schemas/delivery-orders';
import { listDeliveryOrdersQuery } from '../schemas/delivery-orders';
import { deliveryOrderParams } from '../schemas/ids';
import { parseInput } from '../validation';

/** How long ship/deliver wait for the saga to record the change before answering 202. */
const PROJECTION_WAIT_MS = 10_000;
const PROJECTION_POLL_MS = 100;

interface Transition {
  from: DeliveryOrderStatus;
  to: 'shipped' | 'delivered';
  refusal: ErrorCode;
}

const SHIP: Transition = { from: 'reserved', to: 'shipped', refusal: 'DELIVERY_ORDER_NOT_SHIPPABLE' };
const DELIVER: Transition = { from: 'shipped', to: 'delivered', refusal: 'DELIVERY_ORDER_NOT_DELIVERABLE' };

/** Delivery orders, for the warehouse (and admins). Shipping and delivering go through the saga. */
export function deliveryOrdersRouter({ database: { db }, saga }: RouteDeps): Router {
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

  for (const [path, transition] of [
    ['ship', SHIP],
    ['deliver', DELIVER],
  ] as const) {
    router.post(`/:deliveryOrderId/${path}`, async (req, res) => {
      const { deliveryOrderId } = parseInput('params', deliveryOrderParams, req.params);
      const row = await deliveryOrder(deliveryOrderId);
      if (row.status !== transition.from) {
        throw new DomainError(
          transition.refusal,
          `delivery order ${deliveryOrderId} is ${row.status}; it must be ${transition.from} to become ${transition.to}`,
        );
      }
      await saga[transition.to](row.orderId, deliveryOrderId);
      // The saga records the change through an activity; wait (bounded) so the answer shows it.
      const after = await waitForStatus(db, deliveryOrderId, transition.to);
      const [json] = await toDeliveryOrderJson(db, [after]);
      sendData(res, after.status === transition.to ? 200 : 202, json);
    });
  }

  return router;
}

async function waitForStatus(db: Db, id: string, status: DeliveryOrderStatus): Promise<DeliveryOrderRow> {
  const deadline = Date.now() + PROJECTION_WAIT_MS;
  for (;;) {
    const row = await findDeliveryOrderRow(db, id);
    if (!row) throw new Error(`delivery order ${id} vanished`);
    if (row.status === status || Date.now() >= deadline) return row;
    await sleep(PROJECTION_POLL_MS);
  }
}
