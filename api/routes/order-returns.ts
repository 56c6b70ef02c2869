import { randomUUID } from 'node:crypto';
import { aggregateDemand } from '../../domain/stock';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { oncePerKey, returnIdForIdempotencyKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { findOrderReturn, listOrderReturns } from '../read-models/order-return';
import { findVisibleOrder, VISIBLE_ORDER_ERRORS } from '../read-models/order';
import { route, type Route } from '../route';
import { orderParams } from '../schemas/ids';
import { idempotencyHeaders } from '../schemas/orders';
import { orderReturn, returnBody } from '../schemas/returns';
import { orderListRoute } from './order-list';

/**
 * Returns of delivered goods, by the customer who ordered them (or an admin). The saga decides
 * whether the return window is still open and how much was delivered; the API reads the
 * recorded return back.
 */
export function orderReturnsRoutes({ database: { db }, workflows }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/orders/{orderId}/returns',
      summary: 'Return delivered goods within RETURN_WINDOW: restocked and refunded',
      description: 'No `items`: everything not yet returned. An Idempotency-Key repeat answers the same return.',
      access: ['admin', 'customer'],
      params: orderParams,
      headers: idempotencyHeaders,
      body: returnBody,
      answers: [{ status: 201, data: orderReturn }],
      errors: [...VISIBLE_ORDER_ERRORS, 'RETURN_NOT_ALLOWED', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ params: { orderId }, headers, body }, res) => {
        const items = body.items ? aggregateDemand(body.items) : null;
        const reason = body.reason ?? null;
        const keyed = keyedRequest(res, headers['idempotency-key'], 'return', orderId, { items, reason });
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
      },
    }),
    orderListRoute(db, {
      what: 'returns',
      summary: "The order's returns, oldest first",
      item: orderReturn,
      read: (orderId) => listOrderReturns(db, orderId),
    }),
  ];
}
