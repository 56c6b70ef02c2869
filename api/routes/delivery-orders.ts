import type { Response } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { warehouseScopeOf } from '../auth/warehouse-scope';
import { sendData } from '../envelope';
import { oncePerKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { SagaFinishedError } from '../order-workflows';
import { pageMeta, pageMetaSchema } from '../pagination';
import {
  findDeliveryOrderRow,
  listDeliveryOrderRows,
  toDeliveryOrderJson,
  type DeliveryOrderRow,
} from '../read-models/delivery-order';
import { route, type Route } from '../route';
import { deliveryOrder, listDeliveryOrdersQuery } from '../schemas/delivery-orders';
import { deliveryOrderParams } from '../schemas/ids';
import { idempotencyHeaders } from '../schemas/orders';

const MOVES = [
  { path: 'ship', move: 'ship', from: 'reserved', status: 'shipped', refusal: 'DELIVERY_ORDER_NOT_SHIPPABLE' },
  { path: 'deliver', move: 'deliver', from: 'shipped', status: 'delivered', refusal: 'DELIVERY_ORDER_NOT_DELIVERABLE' },
] as const;

const DELIVERY_ROLES = ['admin', 'warehouse'] as const;

/**
 * Delivery orders, for the warehouse (and admins). A warehouse credential with a subject sees and
 * moves only its own warehouse's. Shipping and delivering go through the saga.
 */
export function deliveryOrdersRoutes({ database: { db }, workflows }: RouteDeps): Route[] {
  /** The delivery order, if the caller may see it; another warehouse's is as good as absent. */
  const visibleDeliveryOrder = async (res: Response, id: string): Promise<DeliveryOrderRow> => {
    const row = await findDeliveryOrderRow(db, id);
    const scope = warehouseScopeOf(res);
    if (!row || (scope !== undefined && row.warehouseId !== scope)) {
      throw new DomainError('DELIVERY_ORDER_NOT_FOUND', `delivery order ${id} does not exist`);
    }
    return row;
  };

  return [
    route({
      method: 'get',
      path: '/delivery-orders',
      summary: 'Delivery orders, newest first (a scoped warehouse credential: its own warehouse only)',
      access: DELIVERY_ROLES,
      query: listDeliveryOrdersQuery,
      answers: [{ status: 200, data: z.array(deliveryOrder), meta: pageMetaSchema }],
      handle: async ({ query }, res) => {
        const scope = warehouseScopeOf(res);
        // A scoped credential asking for another warehouse's list finds nothing, as for one that does not exist.
        if (scope !== undefined && query.warehouseId !== undefined && query.warehouseId !== scope) {
          return sendData(res, 200, [], pageMeta(query, 0));
        }
        const [rows, total] = await listDeliveryOrderRows(db, { ...query, warehouseId: scope ?? query.warehouseId }, query);
        sendData(res, 200, await toDeliveryOrderJson(db, rows), pageMeta(query, total));
      },
    }),
    route({
      method: 'get',
      path: '/delivery-orders/{deliveryOrderId}',
      summary: 'One delivery order',
      access: DELIVERY_ROLES,
      params: deliveryOrderParams,
      answers: [{ status: 200, data: deliveryOrder }],
      errors: ['DELIVERY_ORDER_NOT_FOUND'],
      handle: async ({ params: { deliveryOrderId } }, res) => {
        const [json] = await toDeliveryOrderJson(db, [await visibleDeliveryOrder(res, deliveryOrderId)]);
        sendData(res, 200, json);
      },
    }),
    // The saga decides, under the same lock as a cancel of the order, and answers once the move
    // is applied: 200 with the moved delivery order, or 409 when it cannot move (a cancel won).
    // The answer is definitive, never "accepted, maybe".
    ...MOVES.map(({ path, move, from, status, refusal }) =>
      route({
        method: 'post',
        path: `/delivery-orders/{deliveryOrderId}/${path}`,
        summary: `Mark ${status} (from ${from}); the answer comes once the saga has applied it`,
        access: DELIVERY_ROLES,
        params: deliveryOrderParams,
        headers: idempotencyHeaders,
        answers: [{ status: 200, data: deliveryOrder }],
        errors: ['DELIVERY_ORDER_NOT_FOUND', refusal, 'IDEMPOTENCY_KEY_REUSED'],
        handle: async ({ params: { deliveryOrderId }, headers }, res) => {
          const keyed = keyedRequest(res, headers['idempotency-key'], move, deliveryOrderId, {});
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
        },
      }),
    ),
  ];
}
