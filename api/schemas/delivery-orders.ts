import { z } from 'zod';
import { paginationQuery } from '../pagination';
import { catalogId, serverId, timestamp } from './ids';

export const DELIVERY_ORDER_STATUSES = ['reserved', 'shipped', 'delivered', 'cancelled'] as const;
export type DeliveryOrderStatus = (typeof DELIVERY_ORDER_STATUSES)[number];

export const listDeliveryOrdersQuery = paginationQuery.extend({
  status: z.enum(DELIVERY_ORDER_STATUSES).optional(),
  warehouseId: catalogId.optional(),
});

export const deliveryOrder = z.object({
  id: serverId,
  orderId: serverId,
  /** The warehouse that ships it (all its items come from there). */
  warehouseId: catalogId,
  status: z.enum(DELIVERY_ORDER_STATUSES),
  /** The order's shipping address: the warehouse needs nothing else to ship. */
  shipTo: z.string().describe("the order's shipping address"),
  items: z.array(z.object({ productId: catalogId, warehouseId: catalogId, quantity: z.number().int() })),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type DeliveryOrderJson = z.infer<typeof deliveryOrder>;
