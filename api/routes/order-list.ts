import type { Response } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import type { ErrorCode } from '../../domain/errors';
import type { Role } from '../auth/principal';
import { sendData } from '../envelope';
import { totalMetaSchema } from '../pagination';
import { findVisibleOrder, VISIBLE_ORDER_ERRORS } from '../read-models/order';
import { route, type Route } from '../route';
import { orderParams } from '../schemas/ids';

export interface OrderList {
  /** The path's last segment: `payments` in /orders/{orderId}/payments. */
  what: string;
  summary: string;
  description?: string;
  item: z.ZodType;
  /** Admins and customers (their own orders) unless said otherwise. */
  access?: readonly Role[];
  /** Besides ORDER_NOT_FOUND and FORBIDDEN. */
  errors?: readonly ErrorCode[];
  /** The whole list; runs once the caller is known to see the order. */
  read(orderId: string, res: Response): Promise<unknown[]>;
}

/** GET /orders/{orderId}/<what>: a list that belongs to one order, whole, with `meta.total`. */
export function orderListRoute(db: Db, list: OrderList): Route {
  return route({
    method: 'get',
    path: `/orders/{orderId}/${list.what}`,
    summary: list.summary,
    ...(list.description && { description: list.description }),
    access: list.access ?? ['admin', 'customer'],
    params: orderParams,
    answers: [{ status: 200, data: z.array(list.item), meta: totalMetaSchema }],
    errors: [...VISIBLE_ORDER_ERRORS, ...(list.errors ?? [])],
    handle: async ({ params: { orderId } }, res) => {
      await findVisibleOrder(db, res.locals.principal, orderId);
      const items = await list.read(orderId, res);
      sendData(res, 200, items, { total: items.length });
    },
  });
}
