import { z } from 'zod';
import { catalogId, serverId, timestamp } from './ids';
import { quantity } from './quantity';
import { MAX_ORDER_ITEMS } from './orders';

const returnLine = z.strictObject({ productId: catalogId, warehouseId: catalogId, quantity });

/** The body is optional: no `items` returns everything delivered and not yet returned. */
export const returnBody = z
  .strictObject({
    items: z
      .array(returnLine)
      .min(1, 'name at least one item, or leave items out to return everything')
      .max(MAX_ORDER_ITEMS)
      .nullable()
      .optional(),
    reason: z.string().trim().min(1).max(500).nullable().optional(),
  })
  .default({});

export const orderReturn = z.object({
  id: serverId,
  orderId: serverId,
  items: z.array(z.object({ productId: catalogId, warehouseId: catalogId, quantity: z.number().int() })),
  /** Minor units, in the order's currency; the returned lines less their share of the discount. */
  refundAmount: z.number().int().describe("minor units refunded: the returned lines less their share of the order's discount"),
  reason: z.string().nullable(),
  createdAt: timestamp,
});

export type OrderReturnJson = z.infer<typeof orderReturn>;
