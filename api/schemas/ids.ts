import { z } from 'zod';

/** Admin-chosen ids of products and warehouses (API.md conventions); also customer ids. */
export const catalogId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"');

/** Server-chosen ids of orders and delivery orders. */
export const serverId = z.uuid({ message: 'must be a UUID' });

export const levelParams = z.object({ productId: catalogId, warehouseId: catalogId });
export const orderParams = z.object({ orderId: serverId });
export const deliveryOrderParams = z.object({ deliveryOrderId: serverId });

/** Whole numbers that fit the database's integer columns. */
export const int32 = z.number().int().max(2_147_483_647);
/** ISO 8601 UTC timestamps in responses. */
export const timestamp = z.iso.datetime();
