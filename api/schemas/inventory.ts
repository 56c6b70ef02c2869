import { z } from 'zod';
import { catalogId, int32, timestamp } from './ids';
import { quantity } from './quantity';

const MAX_ITEMS = 100;

export const levelBody = z.strictObject({
  onHand: int32.min(0),
  /** Left as it is when omitted (0 for a new level). */
  lowStockThreshold: int32.min(0).optional(),
});

export const batchBody = z.strictObject({
  items: z.array(z.strictObject({ productId: catalogId, warehouseId: catalogId })).min(1).max(MAX_ITEMS),
});

export const availabilityBody = z.strictObject({
  items: z
    .array(
      z.strictObject({
        productId: catalogId,
        /** Omitted: what all active warehouses hold together. */
        warehouseId: catalogId.optional(),
        quantity,
      }),
    )
    .min(1)
    .max(MAX_ITEMS),
});

export const adjustmentBody = z.strictObject({
  productId: catalogId,
  warehouseId: catalogId,
  /** Units added to (positive) or taken from (negative) on hand. */
  delta: int32
    .min(-2_147_483_647)
    .refine((delta) => delta !== 0, 'must not be 0'),
  /** Why, for the ledger: "damaged", "found in recount". */
  reason: z.string().trim().min(1).max(200),
});

export const movement = z.object({
  id: z.number().int(),
  deltaOnHand: z.number().int(),
  deltaReserved: z.number().int(),
  /** stock_set, adjustment, reservation, release, expiry, commit, restock, return or conversion. */
  reason: z.string().describe('stock_set, adjustment, reservation, release, expiry, commit, restock, return or conversion (a hold adopted by an order)'),
  /** An adjustment's reason in the admin's words ("damaged"); absent otherwise. */
  note: z.string().optional().describe("an adjustment's reason as the admin gave it"),
  /** The order whose saga moved the stock; absent for admin changes. */
  orderId: z.uuid().optional().describe('the order whose saga moved the stock; absent for admin changes'),
  /** The stock hold whose units moved (its reservation, release, expiry, or conversion to the order). */
  holdId: z.uuid().optional().describe('the stock hold whose units moved; absent otherwise'),
  at: timestamp,
});

export type MovementJson = z.infer<typeof movement>;

export const inventoryLevel = z.object({
  productId: catalogId,
  warehouseId: catalogId,
  onHand: z.number().int(),
  reserved: z.number().int(),
  /** onHand - reserved, never negative. */
  available: z.number().int(),
  lowStockThreshold: z.number().int(),
  /** available <= lowStockThreshold. */
  lowStock: z.boolean(),
  /** available === 0. */
  outOfStock: z.boolean(),
  updatedAt: timestamp,
});

export const availability = z.object({
  available: z.boolean(),
  items: z.array(
    z.object({
      productId: catalogId,
      warehouseId: catalogId.nullable(),
      requestedQuantity: z.number().int(),
      availableQuantity: z.number().int(),
      available: z.boolean(),
    }),
  ),
});

export type InventoryLevelJson = z.infer<typeof inventoryLevel>;
export type Availability = z.infer<typeof availability>;
